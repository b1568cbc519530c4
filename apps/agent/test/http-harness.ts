// Test harness for the HTTP engine: a net.Server whose connections go straight to `engine.serve`
// with a test EngineContext (as ssh-harness.ts does for SSH), rules compiled with the engine's own
// analyser and masking, and approvals decided by the test. The upstream is libs/testing's
// startHttpUpstream; clients are curl and undici.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { createLogger } from '@postern/logging';
import {
  compileCommandPolicy,
  compileMaskingRules,
  type ApprovalRuleInput,
  type MaskingRuleInput,
  type StatementRuleInput,
} from '@postern/policy';
import { httpAnalyser } from '@postern/policy-http';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type AuthenticationResult,
  type PolicyAuditEvent,
  type Principal,
  type ResolvedConnection,
  type SessionSummary,
} from '../src/engines/engine.js';
import { HttpEngine, type HttpContext, type HttpEngineOptions } from '../src/engines/http/index.js';

export const ALICE = { login: 'alice@example.com', credential: 'postern_conn_alice_http_credential' };
export const BOB = { login: 'bob@example.com', credential: 'postern_conn_bob_http_credential' };

export interface HttpConnectionSpec {
  url: string;
  secret?: string;
  tlsMode?: ResolvedConnection['target']['tls']['mode'];
  ca?: string;
  settings?: Record<string, string>;
  /** Secrets by reference for extraHeaders. */
  secrets?: Record<string, string>;
}

export interface HttpTestPolicy {
  guardrails?: StatementRuleInput[];
  approvals?: ApprovalRuleInput[];
  masking?: MaskingRuleInput[];
}

export interface HeldRequest {
  reviewId: string;
  ruleId: string;
  command: string;
  decide(outcome: ApprovalOutcome): void;
}

export interface SessionRecord {
  id: string;
  controller: AbortController;
  opened: { principal: Principal; connection: ResolvedConnection }[];
  closed: SessionSummary[];
  done: Promise<void>;
}

const HASH_KEY = Buffer.alloc(32, 7);

export class HttpGateway {
  readonly sessions: SessionRecord[] = [];
  readonly audits: PolicyAuditEvent[] = [];
  readonly held: HeldRequest[] = [];
  readonly recorded: { session: string; type: string; event: Record<string, unknown> }[] = [];
  readonly logLines: string[] = [];
  readonly engine: HttpEngine;
  private statements!: ReturnType<typeof compileCommandPolicy>;
  private masking!: ReturnType<typeof compileMaskingRules>;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  /** TLS for the client side (the ingress certificate); null: plain HTTP. */
  clientTls: SecureContext | null = null;

  private constructor(
    private readonly connections: Record<string, HttpConnectionSpec>,
    policy: HttpTestPolicy,
    options: HttpEngineOptions,
  ) {
    this.engine = new HttpEngine(options);
    this.setPolicy(policy);
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(
    connections: Record<string, HttpConnectionSpec>,
    policy: HttpTestPolicy = {},
    options: HttpEngineOptions = {},
  ): Promise<HttpGateway> {
    const gateway = new HttpGateway(connections, policy, options);
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  setPolicy(policy: HttpTestPolicy): void {
    this.statements = compileCommandPolicy(httpAnalyser(), policy.guardrails ?? [], policy.approvals ?? []);
    this.masking = compileMaskingRules(policy.masking ?? [], { hashKey: HASH_KEY });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(connection: string, path: string): string {
    return `http://127.0.0.1:${this.port}/c/${connection}${path}`;
  }

  events(type: string): Record<string, unknown>[] {
    return this.recorded.filter((e) => e.type === type).map((e) => e.event);
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.controller.abort(new SessionAbortError('agent_shutdown'));
    await Promise.all(this.sessions.map((s) => s.done));
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.engine.close();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const record: SessionRecord = {
      id: randomUUID(),
      controller: new AbortController(),
      opened: [],
      closed: [],
      done: Promise.resolve(),
    };
    this.sessions.push(record);
    record.done = this.engine.serve(socket, this.context(record, socket));
  }

  private context(record: SessionRecord, socket: Socket): HttpContext {
    const logger = createLogger({
      name: 'agent-test',
      level: 'debug',
      destination: { write: (line: string) => void this.logLines.push(line) },
      base: { sessionId: record.id },
    });
    return {
      sessionId: record.id,
      ingress: 'local',
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      logger,
      clientTls: this.clientTls,
      signal: record.controller.signal,
      resolveConnection: (name, protocol) => {
        const spec = Object.hasOwn(this.connections, name) ? this.connections[name] : undefined;
        if (spec === undefined || protocol !== 'http') return null;
        const url = new URL(spec.url);
        return {
          id: `conn-${name}`,
          name,
          protocol,
          target: {
            host: url.hostname,
            port: Number(url.port),
            user: '',
            secretRef: spec.secret === undefined ? '' : `test:${name}`,
            tls: {
              mode: spec.tlsMode ?? (url.protocol === 'https:' ? 'verify-full' : 'disable'),
              caRef: spec.ca ? `ca:${name}` : null,
            },
            settings: { url: spec.url, ...spec.settings },
          },
          recordingMode: 'strict',
        };
      },
      authenticate: async (_connection, user, password) => testAuthenticate(user, password),
      resolveSecret: async (ref) => {
        const [kind, name] = ref.split(':') as [string, string];
        const spec = this.connections[name];
        if (kind === 'test' && spec?.secret !== undefined) return spec.secret;
        if (kind === 'ca' && spec?.ca !== undefined) return spec.ca;
        for (const s of Object.values(this.connections)) if (s.secrets?.[ref] !== undefined) return s.secrets[ref];
        throw new Error(`no secret ${ref}`);
      },
      dialTarget: async () => '127.0.0.1',
      revealPassword: () => undefined,
      policy: () => {
        const connectionId = record.opened[0]?.connection.id ?? '';
        const groups = record.opened[0]?.principal.groups ?? [];
        return {
          version: '1',
          statements: this.statements.forSession(connectionId, groups),
          masking: this.masking.forSession(connectionId, groups),
          hashKey: this.masking.hashKey,
        };
      },
      requestApproval: ({ rule, command }) => {
        const reviewId = randomUUID();
        let settle!: (outcome: ApprovalOutcome) => void;
        const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
        this.held.push({ reviewId, ruleId: rule.id, command, decide: settle });
        return { reviewId, outcome };
      },
      audit: (event) => void this.audits.push(event),
      record: (type, event) =>
        void this.recorded.push({ session: record.id, type, event: event as Record<string, unknown> }),
      opened: (principal, connection) => void record.opened.push({ principal, connection }),
      closed: (summary) => void record.closed.push(summary),
    };
  }
}

function testAuthenticate(user: string, password: string): AuthenticationResult {
  const who = password === ALICE.credential ? ALICE : password === BOB.credential ? BOB : null;
  if (who === null) return { ok: false, reason: 'invalid_credential', message: 'unknown credential' };
  if (user !== who.login) return { ok: false, reason: 'user_mismatch', message: 'other user', loginNames: [who.login] };
  const alice = who === ALICE;
  return {
    ok: true,
    principal: {
      id: alice ? 'user-alice' : 'user-bob',
      kind: 'user',
      displayName: alice ? 'Alice' : 'Bob',
      groups: alice ? ['dev'] : ['ops'],
    },
  };
}

export interface CurlResult {
  code: number;
  status: number;
  body: string;
  headers: string;
}

/** Runs curl; `-w` prints the status after the body, headers go to a separate stream. */
export function curl(args: string[], timeoutMs = 30_000): Promise<CurlResult> {
  const headerFile = join(tmpdir(), `postern-curl-${randomUUID()}`);
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-D', headerFile, '-o', '-', '-w', '\n%{http_code}', ...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env['PATH'] ?? '' } },
      (error, stdout, stderr) => {
        const cut = stdout.lastIndexOf('\n');
        let headers = '';
        try {
          headers = readFileSync(headerFile, 'utf8');
          rmSync(headerFile, { force: true });
        } catch {
          headers = stderr;
        }
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          status: Number(stdout.slice(cut + 1)),
          body: stdout.slice(0, cut),
          headers,
        });
      },
    );
  });
}
