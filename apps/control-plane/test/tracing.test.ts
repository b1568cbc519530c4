// OpenTelemetry traces end to end, with real processes: the built control plane and agent export
// to an OTLP/HTTP receiver this test runs (a plain Node HTTP server: the control plane sends
// OTLP/JSON, the agent the default OTLP/protobuf, read here by the bytes its strings and ids
// occupy — no collector binary runs on these machines). A real psql session through the agent
// must appear as one trace across both processes, with the session id on its spans, and no SQL a
// user typed, no credential and no exporter header in anything exported.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  selfSignedCertificate,
  startAgent,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type CertificateFiles,
  type ManagedProcess,
  type TestDatabase,
} from '@postern/testing';
import { psqlCommand } from './support/psql.js';
import { grantEngineers } from './support/raw-agent.js';

interface ReceivedSpan {
  service: string;
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

interface OtlpJsonValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpJsonAttribute {
  key: string;
  value: OtlpJsonValue;
}
interface OtlpJsonRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpJsonAttribute[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: OtlpJsonAttribute[];
      }>;
    }>;
  }>;
}

/** What the receiver got: JSON spans decoded, protobuf bodies kept raw, every body's bytes. */
const received = {
  json: [] as ReceivedSpan[],
  protobuf: [] as Buffer[],
  bodies: [] as Buffer[],
  authorization: new Set<string>(),
};

const COLLECTOR_TOKEN = `collector-${randomBytes(12).toString('hex')}`;
const CANARY = `canary_${randomBytes(8).toString('hex')}`;
const USER_SQL = `select '${CANARY}' as secret_marker`;

let receiver: Server;
let cpDatabase: TestDatabase;
let warehouse: TestDatabase;
let cp: ControlPlaneHandle;
let agent: ManagedProcess;
let agentPort: number;
let password: string;
let enrollmentToken: string;
let ingressTls: CertificateFiles;

function attributes(list: OtlpJsonAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
  }
  return out;
}

function startReceiver(): Promise<string> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      received.bodies.push(body);
      received.authorization.add(String(request.headers.authorization));
      const type = String(request.headers['content-type']);
      if (request.url === '/v1/traces' && type.startsWith('application/json')) {
        const payload = JSON.parse(body.toString('utf8')) as OtlpJsonRequest;
        for (const resourceSpans of payload.resourceSpans ?? []) {
          const service = String(attributes(resourceSpans.resource?.attributes)['service.name']);
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              received.json.push({
                service,
                scope: scopeSpans.scope?.name ?? '',
                name: span.name,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                attributes: attributes(span.attributes),
              });
            }
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else if (request.url === '/v1/traces' && type.startsWith('application/x-protobuf')) {
        received.protobuf.push(body);
        // An empty ExportTraceServiceResponse.
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else {
        response.writeHead(415).end();
      }
    });
  });
  return new Promise((resolve) =>
    receiver.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}`)),
  );
}

function tracingEnv(endpoint: string, protocol: 'http/json' | 'http/protobuf'): Record<string, string> {
  return {
    POSTERN_TRACING: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${COLLECTOR_TOKEN}`,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

function psql(sql: string) {
  const conninfo = `host=127.0.0.1 port=${agentPort} dbname=warehouse user=ada@example.com sslmode=require`;
  return psqlCommand(conninfo, password, sql);
}

/** The control plane's spans of one trace, by span id. */
function trace(traceId: string): ReceivedSpan[] {
  return received.json.filter((span) => span.traceId === traceId);
}

/** Whether `span` has `ancestorId` among its parents, within the spans received. */
function descendsFrom(span: ReceivedSpan, ancestorId: string): boolean {
  const byId = new Map(received.json.map((s) => [s.spanId, s]));
  let current: ReceivedSpan | undefined = span;
  for (let hops = 0; current && hops < 50; hops += 1) {
    if (current.parentSpanId === ancestorId) return true;
    current = byId.get(current.parentSpanId);
  }
  return false;
}

beforeAll(async () => {
  const endpoint = await startReceiver();
  [cpDatabase, warehouse, ingressTls] = await Promise.all([
    createTestDatabase('postern_trace'),
    createTestDatabase('postern_trw'),
    selfSignedCertificate(),
  ]);
  cp = await startControlPlane({ databaseUrl: cpDatabase.url, env: tracingEnv(endpoint, 'http/json') });
  const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation { createAgent(input: { name: "edge-traced" }) { agent { id } enrollment { token } } }',
  );
  enrollmentToken = created.createAgent.enrollment.token;
  agent = startAgent({
    controlPlaneAddress: cp.grpcAddress,
    stateDir: join(mkdtempSync(join(tmpdir(), 'postern-trace-')), 'state'),
    enrollmentToken,
    env: {
      POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
      WAREHOUSE_PASSWORD: 'trust-auth-ignores-it',
      POSTERN_AGENT_TLS_CERT_FILE: ingressTls.certFile,
      POSTERN_AGENT_TLS_KEY_FILE: ingressTls.keyFile,
      ...tracingEnv(endpoint, 'http/protobuf'),
    },
  });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  await agent.waitForMessage('connected to control plane');
  const connection = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'warehouse',
        protocol: 'POSTGRES',
        agentId: created.createAgent.agent.id,
        targetHost: '127.0.0.1',
        targetPort: 5432,
        targetDatabase: warehouse.name,
        targetUser: 'postgres',
        secretRef: 'env:WAREHOUSE_PASSWORD',
        tlsMode: 'disable',
      },
    },
  );
  await grantEngineers(cp, connection.createConnection.id);
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "ada@example.com", displayName: "Ada", groups: ["engineers"] }) { id } }',
  );
  password = (
    await admin<{ mintConnectionCredential: { password: string } }>(
      'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 600 }) { password } }',
      { c: connection.createConnection.id, u: user.createUser.id },
    )
  ).mintConnectionCredential.password;
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await Promise.all([cpDatabase?.drop(), warehouse?.drop()]);
  await new Promise((resolve) => receiver?.close(resolve));
  if (ingressTls) rmSync(ingressTls.dir, { recursive: true, force: true });
});

describe('OpenTelemetry traces (POSTERN_TRACING=otlp)', () => {
  let sessionId: string;
  let setupTraceId: string;
  let setupSpanId: string;

  test('a psql session is one trace: the agent’s session setup, then the control plane storing its reports', async () => {
    // The agent has the credential once its pushed policy carries it.
    const result = await waitFor(
      async () => {
        const r = await psql(USER_SQL);
        return r.code === 0 ? r : undefined;
      },
      { timeoutMs: 15_000, what: 'the session admitted' },
    );
    expect(result.stdout.trim()).toBe(CANARY);
    sessionId = await waitFor(
      async () =>
        (await admin<{ sessions: { id: string; status: string }[] }>('{ sessions(limit: 1) { id status } }'))
          .sessions[0]?.id,
      { what: 'the session listed' },
    );

    // The control plane continues the agent's trace: its span for the session report has the
    // agent's setup span as parent, and the database work of storing the report nests under it.
    const opened = await waitFor(
      () =>
        received.json.find(
          (span) => span.name === 'postern.session.opened' && span.attributes['postern.session.id'] === sessionId,
        ),
      { timeoutMs: 15_000, what: 'the control plane’s span for the session report' },
    );
    expect(opened.service).toBe('postern-control-plane');
    setupTraceId = opened.traceId;
    setupSpanId = opened.parentSpanId;
    expect(setupSpanId).toMatch(/^[0-9a-f]{16}$/);
    const prisma = await waitFor(
      () => trace(setupTraceId).find((span) => span.scope === 'prisma' && descendsFrom(span, opened.spanId)),
      { timeoutMs: 15_000, what: 'Prisma spans under the session report' },
    );
    expect(prisma.name).toMatch(/^prisma:/);
    const closed = await waitFor(
      () =>
        received.json.find(
          (span) => span.name === 'postern.session.closed' && span.attributes['postern.session.id'] === sessionId,
        ),
      { timeoutMs: 15_000, what: 'the span for the session-closed report' },
    );
    expect(closed.traceId).toBe(setupTraceId);

    // The agent exported that parent span (OTLP/protobuf: ids are raw bytes, strings are UTF-8):
    // postern.session.setup with the session id and protocol, and its authenticate child.
    const agentExport = await waitFor(
      () =>
        received.protobuf.find(
          (body) => body.includes(Buffer.from(setupSpanId, 'hex')) && body.includes(Buffer.from(sessionId)),
        ),
      { timeoutMs: 15_000, what: 'the agent’s setup span' },
    );
    expect(agentExport.includes(Buffer.from(setupTraceId, 'hex'))).toBe(true);
    for (const text of ['postern-agent', 'postern.session.setup', 'postern.protocol', 'postgres']) {
      expect({ text, exported: agentExport.includes(Buffer.from(text)) }).toEqual({ text, exported: true });
    }
    // Its children (each names the setup span as parent): authentication, the session's policy,
    // the allow-list check and DNS for the target, and — where the agent follows async context,
    // Node 24+ (on Node 20 it does not: its cost, docs/operations.md#traces) — the client's TLS
    // handshake, which has no stray trace of its own there.
    const asyncContext = Number(process.versions.node.split('.')[0]) >= 24;
    if (!asyncContext) {
      expect(received.protobuf.some((body) => body.includes(Buffer.from('postern.tls.client_handshake')))).toBe(false);
    }
    for (const child of [
      'postern.session.authenticate',
      'postern.session.policy',
      'postern.upstream.dial',
      ...(asyncContext ? ['postern.tls.client_handshake'] : []),
    ]) {
      await waitFor(
        () =>
          received.protobuf.find(
            (body) =>
              body.includes(Buffer.from(child)) &&
              body.includes(Buffer.from(setupSpanId, 'hex')) &&
              body.includes(Buffer.from(setupTraceId, 'hex')),
          ),
        { timeoutMs: 15_000, what: `the agent's ${child} span` },
      );
    }
    // The agent's own calls to the control plane: enrolling, then joining the Control stream.
    const agentBodies = Buffer.concat(received.protobuf);
    for (const text of ['postern.control.enroll', 'postern.control.connect', 'welcomed']) {
      expect({ text, exported: agentBodies.includes(Buffer.from(text)) }).toEqual({ text, exported: true });
    }
  });

  test('GraphQL operations are traced down to PostgreSQL and Redis, without the document text', async () => {
    await admin('query RecentSessions { sessions(limit: 5) { id } }');
    const operation = await waitFor(
      () =>
        received.json.find(
          (span) =>
            span.scope === '@opentelemetry/instrumentation-graphql' &&
            span.attributes['graphql.operation.name'] === 'RecentSessions',
        ),
      { timeoutMs: 15_000, what: 'the GraphQL operation span' },
    );
    expect(operation.attributes['graphql.source']).toBeUndefined();
    await waitFor(() => trace(operation.traceId).find((span) => span.scope === 'prisma'), {
      timeoutMs: 15_000,
      what: 'Prisma spans in the GraphQL operation’s trace',
    });
    // Redis: the control plane's ioredis commands (BullMQ, live events) are traced, by command name only.
    const redis = await waitFor(
      () => received.json.find((span) => span.scope === '@opentelemetry/instrumentation-ioredis'),
      { timeoutMs: 15_000, what: 'an ioredis span' },
    );
    expect(redis.attributes['db.statement']).toBeUndefined();
  });

  test('nothing exported carries the SQL the user ran, a credential, a token or the exporter header', async () => {
    // Flush: a final GraphQL call, then wait until its spans arrived, so every earlier batch is in.
    await admin('query Flush { sessions(limit: 1) { id } }');
    await waitFor(() => received.json.find((span) => span.attributes['graphql.operation.name'] === 'Flush'), {
      timeoutMs: 15_000,
      what: 'the last batch',
    });
    // The exporter header reached the receiver (and only as a header).
    expect(received.authorization.has(`Bearer ${COLLECTOR_TOKEN}`)).toBe(true);
    const everything = Buffer.concat(received.bodies);
    for (const [what, value] of [
      ['the SQL the user ran', CANARY],
      ['the connection credential', password],
      ['the bootstrap admin token', cp.adminToken],
      ['the agent enrollment token', enrollmentToken],
      ['the exporter header', COLLECTOR_TOKEN],
    ] as const) {
      expect({ what, exported: everything.includes(Buffer.from(value)) }).toEqual({ what, exported: false });
    }
    // No statement text but Prisma's own, parameterised SQL.
    for (const span of received.json) {
      if (span.scope === 'prisma') continue;
      expect({
        span: span.name,
        statement: span.attributes['db.statement'] ?? span.attributes['db.query.text'],
      }).toEqual({
        span: span.name,
        statement: undefined,
      });
    }
  });
});
