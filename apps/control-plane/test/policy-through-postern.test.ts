// Guardrails, per-command approval, masking and recording end to end, with real processes: the
// dev OIDC provider, the control plane (rules and reviews through GraphQL), an agent enforcing on
// the wire, the machine's PostgreSQL, and psql / node-postgres / Prisma Client as the clients.
// Alice connects with her IdP access token as the password; Bob approves through GraphQL.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  createTestDatabase,
  freePort,
  queryDatabase,
  startAgent,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type ManagedProcess,
  type TestDatabase,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { accessTokenFor, approvalsEnv, devIdpEnv, POSTERN_DATA_PLANE_AUDIENCE } from './support/oidc-login.js';
import { psqlCommand } from './support/psql.js';
import { createConnection, grantEngineers } from './support/raw-agent.js';
import { completeRecording, recordedStatements } from './support/recordings.js';
const EMAIL = 'ada.lovelace@example.com';
const CARD = '4111111111111111';

let idp: DevIdp;
let cpDatabase: TestDatabase;
let target: TestDatabase;
let cp: ControlPlaneHandle;
let agent: ManagedProcess;
let agentPort: number;
let grpcPort: number;
let shopId: string;
let cpMetricsPort: number;
let agentMetricsPort: number;
const METRICS_TOKEN = 'metrics-scraper-token-0123456789';
const tokens: Record<string, string> = {};
/** Alice's token for database logins (data-plane audience); `tokens` are for the API. */
let databaseToken: string;
const workdir = mkdtempSync(join(tmpdir(), 'postern-policy-e2e-'));

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

async function as<T>(who: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(cp.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** psql as Alice, with her access token as the password. */
function psql(sql: string, options: { stopOnError?: boolean } = {}) {
  const conninfo = `host=127.0.0.1 port=${agentPort} dbname=shop user=alice sslmode=disable`;
  return psqlCommand(conninfo, databaseToken, sql, options.stopOnError !== false);
}

/** The id of the session open now (the tests run one at a time). */
function activeSessionId(): Promise<string> {
  return waitFor(async () => {
    const data = await admin<{ sessions: { id: string }[] }>('{ sessions(limit: 1, status: "ACTIVE") { id } }');
    return data.sessions[0]?.id;
  });
}

function aliceClient(): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: agentPort,
    user: 'alice',
    password: databaseToken,
    database: 'shop',
  });
}

beforeAll(async () => {
  [idp, cpDatabase, target] = await Promise.all([
    startDevIdp(),
    createTestDatabase('postern_pol_cp'),
    createTestDatabase('postern_pol_shop'),
  ]);
  await queryDatabase(
    target.url,
    `CREATE TABLE customers (id int PRIMARY KEY, name text, email text, card_number text);
     INSERT INTO customers VALUES (1, 'Ada', '${EMAIL}', '${CARD}'), (2, 'Alan', 'alan@example.org', '5500005555555559');
     CREATE TABLE refunds (id int PRIMARY KEY, amount numeric, state text);
     INSERT INTO refunds VALUES (1, 10, 'requested');`,
  );
  grpcPort = await freePort();
  cpMetricsPort = await freePort();
  const metricsTokenFile = join(workdir, 'metrics-token');
  writeFileSync(metricsTokenFile, `${METRICS_TOKEN}\n`);
  cp = await startControlPlane({
    databaseUrl: cpDatabase.url,
    grpcPort,
    env: {
      POSTERN_METRICS_PORT: String(cpMetricsPort),
      POSTERN_METRICS_HOST: '127.0.0.1',
      POSTERN_METRICS_TOKEN_FILE: metricsTokenFile,
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      ...approvalsEnv(idp),
    },
  });
  tokens['alice'] = await accessTokenFor(idp, 'alice');
  tokens['bob'] = await accessTokenFor(idp, 'bob');
  databaseToken = await accessTokenFor(idp, 'alice', POSTERN_DATA_PLANE_AUDIENCE);
  const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation { createAgent(input: { name: "edge-policy" }) { agent { id } enrollment { token } } }',
  );
  agent = startAgent({
    controlPlaneAddress: cp.grpcAddress,
    stateDir: join(workdir, 'agent'),
    enrollmentToken: created.createAgent.enrollment.token,
    env: {
      POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
      SHOP_PASSWORD: 'unused-with-trust',
      POSTERN_RECORDING_FLUSH_MS: '100',
      POSTERN_AGENT_MAX_SESSIONS_PER_PRINCIPAL: '4',
      POSTERN_AGENT_AUTH_FAILURES_PER_MINUTE: '5',
      POSTERN_AGENT_METRICS_ADDRESS: '127.0.0.1:0',
    },
  });
  agentMetricsPort = Number((await agent.waitForMessage('metrics listening'))['port']);
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  await agent.waitForMessage('connected to control plane');
  shopId = await createConnection(cp, 'shop', created.createAgent.agent.id, {
    database: target.name,
    secretRef: 'env:SHOP_PASSWORD',
  });
  await admin('mutation($input: CreateGuardrailInput!) { createGuardrail(input: $input) { id } }', {
    input: { name: 'no DROP or TRUNCATE', match: { statementKinds: ['DROP', 'TRUNCATE'] } },
  });
  await admin('mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }', {
    input: {
      name: 'refund changes',
      approverGroups: ['approvers'],
      timeoutSeconds: 60,
      match: { statementKinds: ['UPDATE', 'DELETE'], relations: ['refunds'] },
    },
  });
  await admin('mutation($input: CreateMaskingRuleInput!) { createMaskingRule(input: $input) { id } }', {
    input: { name: 'cards', spec: { columns: ['customers.card_number'], style: 'partial' } },
  });
  await admin('mutation($input: CreateMaskingRuleInput!) { createMaskingRule(input: $input) { id } }', {
    input: { name: 'emails', exemptGroups: ['auditors'], spec: { detectors: ['email'], style: 'redact' } },
  });
  // Last, so that the snapshot that lets Alice in already carries every rule above.
  await grantEngineers(cp, shopId);
  await waitFor(async () => (await psql('select 1')).code === 0, { timeoutMs: 15_000, what: 'access for alice' });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await idp?.close();
  await Promise.all([cpDatabase?.drop(), target?.drop()]);
});

describe('rules made in GraphQL are enforced by the agent', () => {
  test('a guardrail blocks with 42501 naming it; the decision is audited with the policy version', async () => {
    const result = await psql('DROP TABLE customers', { stopOnError: false });
    expect(result.stderr).toContain('Postern rule "no DROP or TRUNCATE" blocked this statement');
    expect((await queryDatabase(target.url, 'SELECT count(*)::int AS n FROM customers'))[0]).toEqual({ n: 2 });
    const audit = await waitFor(async () => {
      const data = await admin<{ auditEvents: { events: { kind: string; policyVersion: string | null }[] } }>(
        '{ auditEvents(filter: { decision: "blocked" }) { events { kind policyVersion } } }',
      );
      return data.auditEvents.events.find((e) => e.kind === 'statement.blocked');
    });
    expect(Number(audit.policyVersion)).toBeGreaterThan(0);
  });

  test('psql, node-postgres and Prisma Client see masked values, never the raw ones', async () => {
    const viaPsql = await psql('SELECT name, email, card_number FROM customers ORDER BY id');
    expect(viaPsql.stdout).toContain('Ada|');
    expect(viaPsql.stdout).not.toContain(EMAIL);
    expect(viaPsql.stdout).not.toContain(CARD);
    expect(viaPsql.stdout).toContain('1111');

    const client = aliceClient();
    await client.connect();
    try {
      const { rows } = await client.query('SELECT email AS e, card_number FROM customers WHERE id = $1', [1]);
      expect(rows[0].e).not.toBe(EMAIL);
      expect(rows[0].card_number).toMatch(/^\*+1111$/);
    } finally {
      await client.end();
    }

    const prisma = new PrismaClient({
      adapter: new PrismaPg({
        host: '127.0.0.1',
        port: agentPort,
        user: 'alice',
        password: databaseToken,
        database: 'shop',
      }),
    });
    try {
      const rows = await prisma.$queryRawUnsafe<{ email: string }[]>('SELECT email FROM customers ORDER BY id');
      expect(rows.map((r) => r.email)).not.toContain(EMAIL);
    } finally {
      await prisma.$disconnect();
    }
  });

  test('a held statement runs once a second user approves it through GraphQL; the requester cannot', async () => {
    const held = psql("UPDATE refunds SET state = 'paid' WHERE id = 1");
    const review = await waitFor(async () => {
      const data = await as<{ reviews: { id: string; command: string; status: string }[] }>(
        'bob',
        '{ reviews(kind: "COMMAND", status: "PENDING") { id command status } }',
      );
      return data.data?.reviews.find((r) => r.command.includes('UPDATE refunds'));
    });
    const own = await as('alice', 'mutation($id: ID!) { approveReview(id: $id) { status } }', { id: review.id });
    expect(own.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');
    expect((await queryDatabase(target.url, 'SELECT state FROM refunds'))[0]).toEqual({ state: 'requested' });
    const approved = await as<{ approveReview: { status: string } }>(
      'bob',
      'mutation($id: ID!) { approveReview(id: $id, comment: "refund ok") { status } }',
      { id: review.id },
    );
    expect(approved.data?.approveReview.status).toBe('APPROVED');
    const result = await held;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`awaits approval (review ${review.id})`);
    expect((await queryDatabase(target.url, 'SELECT state FROM refunds'))[0]).toEqual({ state: 'paid' });
  });

  test('a rejected statement fails with the reviewer and comment; the session goes on', async () => {
    const client = aliceClient();
    await client.connect();
    try {
      const held = client.query('DELETE FROM refunds WHERE id = 1');
      const review = await waitFor(async () => {
        const data = await as<{ reviews: { id: string; command: string }[] }>(
          'bob',
          '{ reviews(kind: "COMMAND", status: "PENDING") { id command } }',
        );
        return data.data?.reviews.find((r) => r.command.includes('DELETE FROM refunds'));
      });
      await as('bob', 'mutation($id: ID!) { rejectReview(id: $id, comment: "no deletes today") { status } }', {
        id: review.id,
      });
      await expect(held).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('no deletes today') });
      expect((await client.query('SELECT count(*)::int AS n FROM refunds')).rows).toEqual([{ n: 1 }]);
    } finally {
      await client.end();
    }
  });
});

/** One sample of a Prometheus text exposition: the value of `name` with exactly these labels (0 if absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const keys = Object.keys(labels);
    if (keys.length === Object.keys(found).length && keys.every((k) => found[k] === labels[k])) return Number(match[3]);
  }
  return 0;
}

async function scrape(port: number, token?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, text: await response.text() };
}

describe('metrics move with the sessions, decisions and reviews above', () => {
  test("the agent's /metrics counts sessions, policy decisions and approval waits; /healthz and /readyz answer", async () => {
    const { status, text } = await scrape(agentMetricsPort);
    expect(status).toBe(200);
    // psql and node-postgres sessions above: every one started and ended, through the local ingress.
    expect(
      sample(text, 'postern_agent_sessions_started_total', { protocol: 'postgres', ingress: 'local' }),
    ).toBeGreaterThanOrEqual(5);
    const ended = text
      .split('\n')
      .filter((l) => l.startsWith('postern_agent_sessions_ended_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(ended).toBeGreaterThanOrEqual(4);
    // The guardrail's block, the held statements' approval and rejection, by rule.
    expect(text).toMatch(
      /postern_agent_policy_decisions_total\{protocol="postgres",kind="[^"]+",decision="blocked",rule="[0-9a-f-]{36}"\} [1-9]/,
    );
    expect(
      sample(text, 'postern_agent_approval_wait_seconds_count', { protocol: 'postgres', outcome: 'approved' }),
    ).toBe(1);
    expect(
      sample(text, 'postern_agent_approval_wait_seconds_count', { protocol: 'postgres', outcome: 'rejected' }),
    ).toBe(1);
    expect(sample(text, 'postern_agent_control_stream_up')).toBe(1);
    expect(sample(text, 'postern_agent_policy_version')).toBeGreaterThan(0);
    expect(text).toContain('postern_agent_recording_spool_bytes');
    expect(text).toContain('postern_agent_process_resident_memory_bytes');
    expect((await fetch(`http://127.0.0.1:${agentMetricsPort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${agentMetricsPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${agentMetricsPort}/other`)).status).toBe(404);
  });

  test("the control plane's /metrics needs its bearer, and counts reviews, session reports, agents and GraphQL", async () => {
    expect((await scrape(cpMetricsPort)).status).toBe(401);
    expect((await scrape(cpMetricsPort, 'wrong-token-0123456789')).status).toBe(401);
    const { status, text } = await scrape(cpMetricsPort, METRICS_TOKEN);
    expect(status).toBe(200);
    expect(sample(text, 'postern_cp_approval_wait_seconds_count', { kind: 'command', outcome: 'approved' })).toBe(1);
    expect(sample(text, 'postern_cp_approval_wait_seconds_count', { kind: 'command', outcome: 'rejected' })).toBe(1);
    expect(
      sample(text, 'postern_cp_session_reports_total', { event: 'opened', ingress: 'local', end_reason: '' }),
    ).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'postern_cp_agents', { status: 'online' })).toBe(1);
    expect(sample(text, 'postern_cp_agent_streams')).toBe(1);
    expect(sample(text, 'postern_cp_agents_policy_lag_max')).toBe(0);
    expect(text).toMatch(/postern_cp_policy_decisions_total\{kind="[^"]+",decision="blocked"\} [1-9]/);
    // Every GraphQL request above, by operation type (the tests send anonymous operations).
    expect(
      sample(text, 'postern_cp_graphql_request_duration_seconds_count', {
        operation: 'anonymous',
        type: 'mutation',
        outcome: 'ok',
      }),
    ).toBeGreaterThan(3);
    expect(text).toMatch(/postern_cp_queue_jobs\{queue="agent-presence",state="delayed"\} \d/);
  });
});

describe('recordings', () => {
  test("a session's statements and decisions are recorded, masked, complete and verifiable", async () => {
    await psql(`SELECT name FROM customers WHERE email = '${EMAIL}'`);
    await psql('TRUNCATE refunds', { stopOnError: false });
    type Page = { complete: boolean; events: { type: string; json: string }[] };
    /** The complete recording of the most recent session whose statements include `sql`. */
    const recordingWith = (sql: string) =>
      waitFor(
        async () => {
          const { sessions } = await admin<{ sessions: { id: string }[] }>('{ sessions(limit: 10) { id } }');
          for (const session of sessions) {
            const data = await admin<{ sessionRecording: Page }>(
              'query($id: ID!) { sessionRecording(sessionId: $id, limit: 100) { complete events { type json } } }',
              { id: session.id },
            );
            const page = data.sessionRecording;
            if (page.complete && page.events.some((e) => e.json.includes(sql))) return { id: session.id, page };
          }
          return undefined;
        },
        { timeoutMs: 20_000, what: `the recording with ${sql}` },
      );
    const { page } = await recordingWith('SELECT name FROM customers WHERE email');
    const types = page.events.map((e) => e.type);
    expect(types[0]).toBe('session.start');
    expect(types).toContain('statement');
    expect(types[types.length - 1]).toBe('session.end');
    const statement = page.events.find((e) => e.type === 'statement')!;
    expect(statement.json).not.toContain(EMAIL);

    const truncate = await recordingWith('TRUNCATE refunds');
    expect(truncate.page.events.some((e) => e.type === 'decision' && e.json.includes('statement.blocked'))).toBe(true);
    const verified = await admin<{ verifySessionRecording: { ok: boolean } }>(
      'query($id: ID!) { verifySessionRecording(sessionId: $id) { ok } }',
      { id: truncate.id },
    );
    expect(verified.verifySessionRecording.ok).toBe(true);
  });

  test("a busy session's recording travels and is stored gzip-compressed, and replays and verifies whole", async () => {
    const client = aliceClient();
    await client.connect();
    const sent = Array.from({ length: 300 }, (_, i) => `SELECT ${i} AS n /* ${'padding '.repeat(40)}*/`);
    let sessionId: string;
    try {
      await client.query('SELECT 1');
      sessionId = await activeSessionId();
      for (const sql of sent) await client.query(sql);
    } finally {
      await client.end();
    }
    const page = await completeRecording(cp, sessionId, 30_000);
    expect(recordedStatements(page)).toEqual(['SELECT 1', ...sent]);
    // ~110 KiB of events: the chunks of 16 KiB and more went compressed, the chain is over the text.
    const chunks = await queryDatabase(
      cpDatabase.url,
      'SELECT encoding::text, plain_bytes, octet_length(data) AS stored FROM recording_chunks WHERE session_id = $1',
      [sessionId],
    );
    const gzipped = chunks.filter((c) => c['encoding'] === 'GZIP');
    expect(gzipped.length).toBeGreaterThan(0);
    for (const chunk of gzipped) expect(Number(chunk['stored']) * 5).toBeLessThan(Number(chunk['plain_bytes']));
    const verified = await admin<{ verifySessionRecording: { ok: boolean; problems: unknown[] } }>(
      'query($id: ID!) { verifySessionRecording(sessionId: $id) { ok problems { seq problem } } }',
      { id: sessionId },
    );
    expect(verified.verifySessionRecording).toEqual({ ok: true, problems: [] });
  });

  test('with the control plane down a session keeps querying; afterwards every event arrives once, in order', async () => {
    const client = aliceClient();
    await client.connect();
    const adminToken = cp.adminToken;
    let sessionId: string;
    try {
      await client.query('SELECT 0 AS before_outage');
      sessionId = await activeSessionId();
      await cp.process.stop('SIGTERM');
      await agent.waitForMessage('control stream ended; reconnecting');
      for (let i = 1; i <= 20; i++) await client.query(`SELECT ${i} AS during_outage`);
      // Fail closed (staleness bound 0 by default): no new session while the policy cannot be current.
      const refused = await psql('select 1');
      expect(refused.stderr).toContain('cannot reach its control plane');
      cp = await startControlPlane({
        databaseUrl: cpDatabase.url,
        grpcPort,
        adminToken,
        env: {
          POSTERN_RELAY_POSTGRES_PORT: 'off',
          ...devIdpEnv(idp),
          POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
          POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
        },
      });
      await client.query('SELECT 21 AS after_outage');
    } finally {
      await client.end();
    }
    const page = await completeRecording(cp, sessionId, 30_000);
    const selects = recordedStatements(page);
    expect(selects).toEqual([
      'SELECT 0 AS before_outage',
      ...Array.from({ length: 20 }, (_, i) => `SELECT ${i + 1} AS during_outage`),
      'SELECT 21 AS after_outage',
    ]);
  });
});

// Last: the failed logins below bar 127.0.0.1 at this agent for the rest of the minute.
describe('admission limits', () => {
  test('one identity holds at most the configured number of sessions', async () => {
    const clients = Array.from({ length: 4 }, () => aliceClient());
    try {
      for (const client of clients) await client.connect();
      const fifth = aliceClient();
      await expect(fifth.connect()).rejects.toMatchObject({
        code: '53300',
        message: expect.stringContaining('too many sessions for this identity'),
      });
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
  });

  test('repeated failed logins from one address are refused for a while, even with a good token', async () => {
    for (let i = 0; i < 5; i++) {
      const wrong = new pg.Client({
        host: '127.0.0.1',
        port: agentPort,
        user: 'alice',
        password: `wrong-${i}`,
        database: 'shop',
      });
      await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
    }
    const refused = await psql('select 1');
    expect(refused.stderr).toContain('too many failed authentications');
  });
});
