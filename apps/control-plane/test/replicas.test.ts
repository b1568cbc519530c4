// Two control-plane replicas on one PostgreSQL database and one Redis prefix, behind one address
// for agents (a round-robin TCP balancer standing in for a Kubernetes Service). The agent's
// Control stream lands on one replica; clients and approvers use the other one, whose relay
// forwards over the authenticated internal link. Then the stream holder is killed mid-session.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  createTestDatabase,
  graphql,
  queryDatabase,
  selfSignedCertificate,
  startAgent,
  startControlPlane,
  freePort,
  startTcpBalancer,
  waitFor,
  type CertificateFiles,
  type ControlPlaneHandle,
  type ManagedProcess,
  type TcpBalancer,
  type TestDatabase,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { accessTokenFor, approvalsEnv, POSTERN_DATA_PLANE_AUDIENCE } from './support/oidc-login.js';
import { RawAgent } from './support/raw-agent.js';
import { psqlCommand } from './support/psql.js';
import { completeRecording, recordedStatements } from './support/recordings.js';

let idp: DevIdp;
let cpDatabase: TestDatabase;
let target: TestDatabase;
let tls: CertificateFiles;
let replicas: Record<'cp-a' | 'cp-b', ControlPlaneHandle>;
let balancer: TcpBalancer;
/** One address for both replicas' relay data ports: agents' data connections often reach the other replica. */
let dataBalancer: TcpBalancer;
let agent: ManagedProcess;
let agentId: string;
let agentPort: number;
/** The replica holding the agent's Control stream, and the other one. */
let holder: ControlPlaneHandle;
let other: ControlPlaneHandle;
const tokens: Record<string, string> = {};
/** Alice's token for database logins (data-plane audience); `tokens` are for the API. */
let databaseToken: string;
const workdir = mkdtempSync(join(tmpdir(), 'postern-replicas-'));

async function ok<T>(pending: Promise<{ data?: T; errors?: { message: string }[] }>): Promise<T> {
  const response = await pending;
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

/** psql as Alice through a replica's relay (TLS, her IdP access token as the password). */
function psql(port: number, sql: string) {
  return psqlCommand(`host=127.0.0.1 port=${port} dbname=shop user=alice sslmode=require`, databaseToken, sql);
}

async function connectedTo(via: ControlPlaneHandle): Promise<string | null> {
  const data = await ok(
    via.admin<{ agent: { status: string; connectedTo: string | null } }>(
      'query($id: ID!) { agent(id: $id) { status connectedTo } }',
      { id: agentId },
    ),
  );
  return data.agent.status === 'ONLINE' ? data.agent.connectedTo : null;
}

beforeAll(async () => {
  [idp, cpDatabase, target, tls] = await Promise.all([
    startDevIdp(),
    createTestDatabase('postern_replicas_cp'),
    createTestDatabase('postern_replicas_shop'),
    selfSignedCertificate(),
  ]);
  await queryDatabase(
    target.url,
    `CREATE TABLE refunds (id int PRIMARY KEY, amount numeric, state text);
     INSERT INTO refunds VALUES (1, 10, 'requested');`,
  );
  const shared = {
    databaseUrl: cpDatabase.url,
    tls,
    redisPrefix: `postern-test-replicas-${randomBytes(4).toString('hex')}`,
  };
  const env = {
    POSTERN_INTERNAL_HOST: '127.0.0.1',
    POSTERN_INTERNAL_PORT: '0',
    POSTERN_INTERNAL_SECRET: randomBytes(32).toString('base64'),
    ...approvalsEnv(idp),
  };
  // Both replicas advertise one balanced address for their data ports, as behind a single load
  // balancer: a data connection reaching the replica that did not ask is joined over the link.
  const dataPorts = { a: await freePort(), b: await freePort() };
  dataBalancer = await startTcpBalancer([{ port: dataPorts.a }, { port: dataPorts.b }]);
  const dataAddress = dataBalancer.address;
  // One after the other: the first applies the migrations.
  const a = await startControlPlane({
    ...shared,
    env: {
      ...env,
      POSTERN_INSTANCE_ID: 'cp-a',
      POSTERN_RELAY_DATA_PORT: String(dataPorts.a),
      POSTERN_RELAY_DATA_ADVERTISE_ADDRESS: dataAddress,
    },
  });
  const b = await startControlPlane({
    ...shared,
    adminToken: a.adminToken,
    env: {
      ...env,
      POSTERN_INSTANCE_ID: 'cp-b',
      POSTERN_RELAY_DATA_PORT: String(dataPorts.b),
      POSTERN_RELAY_DATA_ADVERTISE_ADDRESS: dataAddress,
    },
  });
  replicas = { 'cp-a': a, 'cp-b': b };
  await Promise.all([
    a.process.waitForMessage('internal link listening'),
    b.process.waitForMessage('internal link listening'),
  ]);
  balancer = await startTcpBalancer([{ port: a.grpcPort }, { port: b.grpcPort }]);
  [tokens['alice'], tokens['bob'], databaseToken] = await Promise.all([
    accessTokenFor(idp, 'alice'),
    accessTokenFor(idp, 'bob'),
    accessTokenFor(idp, 'alice', POSTERN_DATA_PLANE_AUDIENCE),
  ]);

  const created = await ok(
    a.admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
      'mutation { createAgent(input: { name: "edge-replicas" }) { agent { id } enrollment { token } } }',
    ),
  );
  agentId = created.createAgent.agent.id;
  agent = startAgent({
    controlPlaneAddress: balancer.address,
    caFile: tls.certFile,
    stateDir: join(workdir, 'agent'),
    enrollmentToken: created.createAgent.enrollment.token,
    env: {
      POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
      SHOP_PASSWORD: 'unused-with-trust',
      POSTERN_RECORDING_FLUSH_MS: '100',
    },
  });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  await agent.waitForMessage('connected to control plane');
  const holderId = await waitFor(() => connectedTo(a), { what: 'the agent online' });
  holder = replicas[holderId as 'cp-a' | 'cp-b'];
  other = holder === a ? b : a;

  const shopId = (
    await ok(
      other.admin<{ createConnection: { id: string } }>(
        'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
        {
          input: {
            name: 'shop',
            protocol: 'POSTGRES',
            agentId,
            targetHost: '127.0.0.1',
            targetPort: 5432,
            targetDatabase: target.name,
            targetUser: 'postgres',
            secretRef: 'env:SHOP_PASSWORD',
            tlsMode: 'disable',
          },
        },
      ),
    )
  ).createConnection.id;
  await ok(
    other.admin('mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }', {
      input: {
        name: 'refund changes',
        approverGroups: ['approvers'],
        timeoutSeconds: 60,
        match: { statementKinds: ['UPDATE'], relations: ['refunds'] },
      },
    }),
  );
  await ok(
    other.admin(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"] }) { id } }',
      { id: shopId },
    ),
  );
  await waitFor(async () => (await psql(other.relayPort!, 'select 1')).code === 0, {
    timeoutMs: 15_000,
    what: 'alice through the other replica',
  });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await Promise.all(Object.values(replicas ?? {}).map((cp) => cp.process.stop()));
  await balancer?.close();
  await dataBalancer?.close();
  await idp?.close();
  await Promise.all([cpDatabase?.drop(), target?.drop()]);
});

describe('a client on the replica without the agent stream', () => {
  test('queries and cancels through the internal link', async () => {
    expect(holder.process.logs.some((l) => l.msg === 'relay client forwarded by another replica')).toBe(true);
    const result = await psql(other.relayPort!, 'select count(*), max(state) from refunds');
    expect(result.stdout.trim()).toBe('1|requested');

    const conninfo = `host=127.0.0.1 port=${other.relayPort} dbname=shop user=alice sslmode=require`;
    const victim = spawn('psql', [conninfo, '-X', '-At', '-c', 'select pg_sleep(30)'], {
      env: { PATH: process.env['PATH'] ?? '', PGPASSWORD: databaseToken },
    });
    let stderr = '';
    victim.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      async () =>
        (await queryDatabase(target.url, `select 1 from pg_stat_activity where query = 'select pg_sleep(30)'`))
          .length === 1,
      { what: 'the sleeping query on the target' },
    );
    const started = Date.now();
    victim.kill('SIGINT'); // psql sends a CancelRequest to the same address: the other replica
    const code = await new Promise<number | null>((resolve) => victim.on('exit', resolve));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/canceling statement due to user request/);
    // The data connections (two sessions, a cancel) alternate between the replicas' data ports:
    // those that reached the other replica were joined to the holder over the internal link.
    expect(holder.process.logs.some((l) => l.msg === 'relay data connection forwarded by another replica')).toBe(true);
  });

  test('an approval given through the other replica resumes the held statement', async () => {
    const held = psql(other.relayPort!, "UPDATE refunds SET state = 'paid' WHERE id = 1");
    const review = await waitFor(async () => {
      const data = await ok(
        graphql<{ reviews: { id: string; command: string }[] }>(
          other.graphqlUrl,
          '{ reviews(kind: "COMMAND", status: "PENDING") { id command } }',
          {},
          tokens['bob'],
        ),
      );
      return data.reviews.find((r) => r.command.includes('UPDATE refunds'));
    });
    await ok(
      graphql(
        other.graphqlUrl,
        'mutation($id: ID!) { approveReview(id: $id) { status } }',
        { id: review.id },
        tokens['bob'],
      ),
    );
    const result = await held;
    expect(result.code).toBe(0);
    expect((await queryDatabase(target.url, 'SELECT state FROM refunds'))[0]).toEqual({ state: 'paid' });
  });

  test('a session terminated through the other replica ends on the agent within 1 s', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: other.relayPort!,
      database: 'shop',
      user: 'alice',
      password: databaseToken,
      ssl: { ca: tls.cert, servername: 'localhost' },
    });
    const ended = new Promise<{ error: Error & { code?: string }; at: number }>((resolve) =>
      client.on('error', (error: Error & { code?: string }) => resolve({ error, at: Date.now() })),
    );
    await client.connect();
    await client.query('select 1');
    const active = await waitFor(async () => {
      const data = await ok(
        other.admin<{ sessions: { id: string; ingress: string }[] }>(
          '{ sessions(status: "ACTIVE", limit: 50) { id ingress } }',
        ),
      );
      return data.sessions.find((s) => s.ingress === 'relay');
    });
    const at = Date.now();
    await ok(other.admin('mutation($id: ID!) { terminateSession(id: $id) { id } }', { id: active.id }));
    const { error, at: endedAt } = await ended;
    expect(endedAt - at).toBeLessThan(1_000);
    expect(error.code).toBe('57P01');
    await client.end().catch(() => undefined);
  });
});

describe('the internal link', () => {
  test('is TLS, and a peer without the shared secret gets nothing but the challenge (fail closed)', async () => {
    const listening = await other.process.waitForMessage('internal link listening');
    expect(listening['tls']).toBe(true);
    const socket = connectTls({ host: '127.0.0.1', port: Number(listening['port']), rejectUnauthorized: false });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (received.length === 1) {
        const auth = Buffer.from(JSON.stringify({ t: 'auth', nonce: 'ab'.repeat(32), mac: 'cd'.repeat(32) }));
        const length = Buffer.alloc(4);
        length.writeUInt32BE(auth.length);
        socket.write(Buffer.concat([length, auth]));
      }
    });
    await new Promise((resolve) => socket.on('close', resolve));
    const all = Buffer.concat(received).toString('utf8');
    expect(all).toContain('"t":"challenge"');
    expect(all).not.toContain('"t":"proof"');
    await waitFor(() => other.process.logs.find((l) => l.msg === 'internal link connection refused'));
  });
});

describe('disabling an agent', () => {
  test('through one replica ends its Control stream on the other at once', async () => {
    const raw = await RawAgent.start(replicas['cp-a'], 'raw-disabled', {
      ca: readFileSync(tls.certFile),
      serverName: 'localhost',
    });
    const started = Date.now();
    await ok(replicas['cp-b'].admin('mutation($id: ID!) { disableAgent(id: $id) { id } }', { id: raw.id }));
    const ended = await raw.ended;
    expect(ended).toEqual({ code: 7, details: 'agent disabled by an administrator' }); // PERMISSION_DENIED
    expect(Date.now() - started).toBeLessThan(2_000);
    raw.close();
  });
});

describe('the replica holding the agent stream dies', () => {
  test('the agent moves to the survivor; a session across the kill is recorded completely and audited', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: agentPort,
      database: 'shop',
      user: 'alice',
      password: databaseToken,
    });
    await client.connect();
    await client.query('SELECT 1 AS before_kill');
    const sessionId = await waitFor(async () => {
      const data = await ok(
        other.admin<{ sessions: { id: string; ingress: string }[] }>(
          '{ sessions(status: "ACTIVE", limit: 50) { id ingress } }',
        ),
      );
      return data.sessions.find((s) => s.ingress === 'local')?.id;
    });
    holder.process.kill('SIGKILL');
    await client.query('SELECT 2 AS during_failover');
    await waitFor(async () => (await connectedTo(other)) === (holder === replicas['cp-a'] ? 'cp-b' : 'cp-a'), {
      timeoutMs: 10_000,
      what: 'the agent on the surviving replica',
    });
    await client.query('SELECT 3 AS after_failover');
    await client.end();
    // The survivor serves relay clients itself now.
    expect((await psql(other.relayPort!, 'select 42')).stdout.trim()).toBe('42');

    const page = await completeRecording(other, sessionId, 15_000);
    const statements = recordedStatements(page);
    expect(statements).toEqual([
      'SELECT 1 AS before_kill',
      'SELECT 2 AS during_failover',
      'SELECT 3 AS after_failover',
    ]);
    const verified = await ok(
      other.admin<{ verifySessionRecording: { ok: boolean } }>(
        'query($id: ID!) { verifySessionRecording(sessionId: $id) { ok } }',
        { id: sessionId },
      ),
    );
    expect(verified.verifySessionRecording.ok).toBe(true);
    const kinds = await waitFor(async () => {
      const data = await ok(
        other.admin<{ auditEvents: { events: { kind: string }[] } }>(
          'query($id: ID!) { auditEvents(filter: { sessionId: $id }, first: 100) { events { kind } } }',
          { id: sessionId },
        ),
      );
      const found = data.auditEvents.events.map((e) => e.kind);
      return found.includes('session.opened') && found.includes('session.closed') ? found : undefined;
    });
    expect(kinds).toEqual(expect.arrayContaining(['session.opened', 'session.closed']));
  }, 45_000);
});
