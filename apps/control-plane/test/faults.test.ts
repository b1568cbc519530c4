// Fault injection with real processes: the control plane's PostgreSQL, its Redis, the control
// plane itself, the agent, the target database and the agent–control-plane link each fail under
// live sessions, and come back. What must hold every time: sessions already running go on (or, for
// the target, only that target's sessions end, with a clear error); nothing acknowledged is lost —
// each session's report, statement count and complete recording reach the control plane once it
// can store them.
//
// The services that fail here are private to this file (their own PostgreSQL clusters and Redis
// server), because the machine's are shared by every suite running in parallel. Redis runs with
// an append-only file, as a deployment must (BullMQ keeps delayed jobs there).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  freePort,
  graphql,
  startAgent,
  startControlPlane,
  startPrivatePostgres,
  startPrivateRedis,
  startTcpBalancer,
  waitFor,
  type ControlPlaneHandle,
  type ManagedProcess,
  type PrivatePostgres,
  type PrivateRedis,
  type TcpBalancer,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { accessTokenFor, approvalsEnv, POSTERN_DATA_PLANE_AUDIENCE } from './support/oidc-login.js';
import { psqlCommand } from './support/psql.js';
import { createConnection, grantEngineers } from './support/raw-agent.js';
import { completeRecording, recordedStatements } from './support/recordings.js';

let idp: DevIdp;
let cpPostgres: PrivatePostgres;
let targetPostgres: PrivatePostgres;
let redis: PrivateRedis;
let cp: ControlPlaneHandle;
let link: TcpBalancer;
let agent: ManagedProcess;
let agentPort: number;
let grpcPort: number;
let aliceToken: string;
let bobToken: string;
const workdir = mkdtempSync(join(tmpdir(), 'postern-faults-'));
const agentEnv = {
  POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
  SHOP_PASSWORD: 'unused-with-trust',
  POSTERN_RECORDING_FLUSH_MS: '100',
};

function startCp(adminToken?: string): Promise<ControlPlaneHandle> {
  return startControlPlane({
    databaseUrl: `postgresql://postgres@127.0.0.1:${cpPostgres.port}/postern`,
    grpcPort,
    ...(adminToken ? { adminToken } : {}),
    env: {
      POSTERN_REDIS_URL: redis.url,
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      ...approvalsEnv(idp),
    },
  });
}

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

function aliceClient(): pg.Client {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: agentPort,
    user: 'alice',
    password: aliceToken,
    database: 'shop',
  });
  client.on('error', () => undefined);
  return client;
}

function psql(sql: string) {
  return psqlCommand(`host=127.0.0.1 port=${agentPort} dbname=shop user=alice sslmode=disable`, aliceToken, sql);
}

/** Connects a client and returns it with the id of the session the control plane recorded for it. */
async function openSession(): Promise<{ client: pg.Client; sessionId: string }> {
  const client = aliceClient();
  await client.connect();
  // This client's session, by its source port: a previous test's short session may be reported
  // (opened) only now, after a fault, and must not be taken for this one.
  const localPort = (client as unknown as { connection: { stream: { localPort: number } } }).connection.stream
    .localPort;
  const sessionId = await waitFor(
    async () => (await sessions('ACTIVE')).find((s) => s.clientAddress === `127.0.0.1:${localPort}`)?.id,
    { what: 'the new session in the control plane' },
  );
  return { client, sessionId };
}

interface SessionRow {
  id: string;
  status: string;
  endReason: string | null;
  statementCount: number;
  clientAddress: string | null;
}

async function sessions(status?: string): Promise<SessionRow[]> {
  const data = await admin<{ sessions: SessionRow[] }>(
    'query($status: String) { sessions(limit: 500, status: $status) { id status endReason statementCount clientAddress } }',
    { status: status ?? null },
  );
  return data.sessions;
}

/**
 * The session as the control plane stored it once closed (with the given end reason), and its
 * complete recorded statements.
 */
async function storedSession(sessionId: string, endReason: string, timeoutMs = 30_000) {
  const session = await waitFor(
    async () => (await sessions('CLOSED')).find((s) => s.id === sessionId && s.endReason === endReason),
    { timeoutMs, what: `session ${sessionId} closed (${endReason}) in the control plane` },
  );
  const statements = recordedStatements(await completeRecording(cp, sessionId, timeoutMs));
  return { session, statements };
}

async function ready(): Promise<{ status: number; checks: Record<string, boolean> }> {
  const response = await fetch(`${cp.httpUrl}/readyz`);
  const body = (await response.json()) as { checks: Record<string, boolean> };
  return { status: response.status, checks: body.checks };
}

const queries = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => `SELECT ${i + 1} AS ${label}`);

/** SIGKILLs the control plane and waits for the agent to notice; returns its admin token. */
async function killControlPlane(): Promise<string> {
  const adminToken = cp.adminToken;
  cp.process.kill('SIGKILL');
  await cp.process.exit();
  await agent.waitForMessage('control stream ended; reconnecting', 15_000);
  return adminToken;
}

/** Starts the (killed) agent again on its state dir: same credential, journal and spool. */
async function startAgentAgain(): Promise<void> {
  agent = startAgent({ controlPlaneAddress: link.address, stateDir: join(workdir, 'agent'), env: agentEnv });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
}

async function runAll(client: pg.Client, sql: string[]): Promise<void> {
  for (const statement of sql) await client.query(statement);
}

beforeAll(async () => {
  [idp, cpPostgres, targetPostgres, redis, grpcPort] = await Promise.all([
    startDevIdp(),
    // Commits reach the WAL on disk before they are acknowledged, as in any real deployment:
    // the crash below (an immediate shutdown) must not take acknowledged rows with it.
    startPrivatePostgres({ settings: { synchronous_commit: 'on' } }),
    startPrivatePostgres(),
    startPrivateRedis(),
    freePort(),
  ]);
  await cpPostgres.query('CREATE DATABASE postern');
  await targetPostgres.query('CREATE DATABASE shop');
  await targetPostgres.query(
    `CREATE TABLE orders (id int PRIMARY KEY, total numeric);
     INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 100) g;`,
    'shop',
  );
  cp = await startCp();
  aliceToken = await accessTokenFor(idp, 'alice', POSTERN_DATA_PLANE_AUDIENCE);
  bobToken = await accessTokenFor(idp, 'bob');
  link = await startTcpBalancer([{ port: grpcPort }]);
  const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation { createAgent(input: { name: "edge-faults" }) { agent { id } enrollment { token } } }',
  );
  agent = startAgent({
    controlPlaneAddress: link.address,
    stateDir: join(workdir, 'agent'),
    enrollmentToken: created.createAgent.enrollment.token,
    env: agentEnv,
  });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  await agent.waitForMessage('connected to control plane');
  const shopId = await createConnection(cp, 'shop', created.createAgent.agent.id, {
    port: targetPostgres.port,
    secretRef: 'env:SHOP_PASSWORD',
  });
  await admin('mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }', {
    input: {
      name: 'order changes',
      approverGroups: ['approvers'],
      timeoutSeconds: 120,
      match: { statementKinds: ['UPDATE'], relations: ['orders'] },
    },
  });
  await grantEngineers(cp, shopId);
  await waitFor(async () => (await psql('select 1')).code === 0, { timeoutMs: 15_000, what: 'access for alice' });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await link?.close();
  await Promise.all([cpPostgres?.stop(), targetPostgres?.stop(), redis?.stop(), idp?.close()]);
});

describe('fault injection under live sessions', () => {
  test('Redis killed and restarted: sessions go on, readiness says why, nothing is lost', async () => {
    const { client, sessionId } = await openSession();
    await client.query('SELECT 0 AS before_fault');
    await redis.down();
    await runAll(client, queries('redis_down', 10));
    // New sessions do not need Redis: the agent admits them under the policy it holds.
    expect((await psql('select 42')).stdout.trim()).toBe('42');
    await waitFor(async () => (await ready()).status === 503, { what: 'readiness to report Redis down' });
    expect((await ready()).checks).toMatchObject({ redis: false, database: true });
    await redis.up();
    await waitFor(async () => (await ready()).status === 200, { timeoutMs: 20_000, what: 'readiness after Redis' });
    await client.end();
    const { session, statements } = await storedSession(sessionId, 'client_closed');
    expect(session).toMatchObject({ statementCount: 11 });
    expect(statements).toEqual(['SELECT 0 AS before_fault', ...queries('redis_down', 10)]);
  }, 90_000);

  test("the control plane's PostgreSQL stopped and restarted: the session goes on, its report and recording arrive after", async () => {
    const { client, sessionId } = await openSession();
    await client.query('SELECT 0 AS before_fault');
    await cpPostgres.down();
    await runAll(client, queries('cp_db_down', 10));
    // The control plane cannot store the agent's heartbeats: it ends the stream, and the agent
    // (staleness bound 0) admits no new session until its policy is current again.
    await agent.waitForMessage('control stream ended; reconnecting', 15_000);
    const refused = await psql('select 1');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('cannot reach its control plane');
    await client.query('SELECT 11 AS cp_db_down');
    await client.end(); // reported while nothing can store the report: kept in the agent's journal
    await cpPostgres.up();
    await waitFor(async () => (await ready()).status === 200, {
      timeoutMs: 30_000,
      what: 'readiness after PostgreSQL',
    });
    const { session, statements } = await storedSession(sessionId, 'client_closed');
    expect(session).toMatchObject({ statementCount: 12 });
    expect(statements).toEqual(['SELECT 0 AS before_fault', ...queries('cp_db_down', 10), 'SELECT 11 AS cp_db_down']);
    expect((await psql('select 7')).stdout.trim()).toBe('7');
  }, 120_000);

  test('the agent–control-plane link stalls without closing: the agent notices, dials again, loses nothing', async () => {
    const { client, sessionId } = await openSession();
    const stalledAt = agent.logs.length;
    link.stall();
    await runAll(client, queries('stalled', 5));
    await client.end();
    // Heartbeats go unanswered: after the heartbeat timeout the agent drops the connection.
    await agent.waitForLog(
      (line) =>
        agent.logs.indexOf(line) >= stalledAt &&
        line.msg === 'control plane silent: dropping the connection and dialling again',
      20_000,
    );
    await agent.waitForLog(
      (line) => agent.logs.indexOf(line) >= stalledAt && line.msg === 'connected to control plane',
      20_000,
    );
    const { session, statements } = await storedSession(sessionId, 'client_closed');
    expect(session).toMatchObject({ statementCount: 5 });
    expect(statements).toEqual(queries('stalled', 5));
  }, 90_000);

  test('control plane killed, then the agent killed while its reports wait: both restart, the reports arrive', async () => {
    const { client, sessionId } = await openSession();
    await client.query('SELECT 0 AS before_fault');
    const adminToken = await killControlPlane();
    await runAll(client, queries('cp_down', 10));
    await client.end();
    // The report of that session is only in the agent's journal (and its recording in the spool)
    // when the agent dies without a chance to say anything.
    await agent.waitForLog((l) => l.msg === 'session closed' && l['sessionId'] === sessionId);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the journal's group commit
    agent.kill('SIGKILL');
    await agent.exit();
    await startAgentAgain();
    cp = await startCp(adminToken);
    await agent.waitForMessage('connected to control plane', 30_000);
    const { session, statements } = await storedSession(sessionId, 'client_closed');
    expect(session).toMatchObject({ statementCount: 11 });
    expect(statements).toEqual(['SELECT 0 AS before_fault', ...queries('cp_down', 10)]);
  }, 120_000);

  test('a statement held while the control plane is down is reviewed once it is back, and runs when approved', async () => {
    const { client, sessionId } = await openSession();
    const adminToken = await killControlPlane();
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    // Held on the wire; the approval request waits in the agent until the control plane is back.
    const held = client.query('UPDATE orders SET total = total + 1 WHERE id = 7');
    await waitFor(() => notices.some((n) => n.includes('awaits approval')), { what: 'the hold notice' });
    cp = await startCp(adminToken);
    const review = await waitFor(
      async () => {
        const body = await graphql<{ reviews: { id: string; command: string }[] }>(
          cp.graphqlUrl,
          '{ reviews(kind: "COMMAND", status: "PENDING") { id command } }',
          {},
          bobToken,
        );
        return body.data?.reviews.find((r) => r.command.includes('UPDATE orders'));
      },
      { timeoutMs: 30_000, what: 'the review created from the resent request' },
    );
    expect(notices.join('\n')).toContain(review.id);
    const approved = await graphql<{ approveReview: { status: string } }>(
      cp.graphqlUrl,
      'mutation($id: ID!) { approveReview(id: $id) { status } }',
      { id: review.id },
      bobToken,
    );
    expect(approved.data?.approveReview.status).toBe('APPROVED');
    expect((await held).rowCount).toBe(1);
    expect((await targetPostgres.query('SELECT total FROM orders WHERE id = 7', 'shop')).rows[0]).toEqual({
      total: '71',
    });
    await client.end();
    const { statements } = await storedSession(sessionId, 'client_closed');
    expect(statements).toEqual(['UPDATE orders SET total = total + 1 WHERE id = 7']);
  }, 120_000);

  test('the agent killed mid-session: the client sees the connection drop; after restart the session is closed and its recording ends as interrupted', async () => {
    const { client, sessionId } = await openSession();
    await client.query('SELECT 1 AS before_kill');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the recording flushes every 100 ms
    const dropped = new Promise<Error>((resolve) => client.once('error', resolve));
    agent.kill('SIGKILL');
    await agent.exit();
    await expect(client.query('SELECT 2')).rejects.toThrow();
    await dropped.catch(() => undefined);
    await startAgentAgain();
    await agent.waitForMessage('connected to control plane', 30_000);
    const { statements } = await storedSession(sessionId, 'agent_restarted');
    expect(statements).toEqual(['SELECT 1 AS before_kill']);
  }, 90_000);

  test('the target PostgreSQL stopped: its sessions end with a clear error, the agent serves on once it is back', async () => {
    const { client, sessionId } = await openSession();
    await client.query('SELECT 1 AS before_fault');
    const failed = client.query('SELECT pg_sleep(30)');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await targetPostgres.down();
    const error = await failed.then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error).not.toBeNull();
    // PostgreSQL's own goodbye (57P01 "terminating connection due to administrator command") or
    // the agent's, when the server vanished without one.
    expect(error!.message).toMatch(/terminating connection|target|connection/i);
    const whileDown = await psql('select 1');
    expect(whileDown.code).not.toBe(0);
    expect(agent.running).toBe(true);
    await targetPostgres.up();
    expect((await psql('select count(*) from orders')).stdout.trim()).toBe('100');
    const { statements } = await storedSession(sessionId, 'target_closed');
    expect(statements).toEqual(['SELECT 1 AS before_fault', 'SELECT pg_sleep(30)']);
  }, 90_000);
});
