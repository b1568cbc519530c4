// PostgreSQL end to end through Postern, with real processes and real clients: the control plane
// (GraphQL, relay listener), an agent (local ingress, postgres engine) over TLS gRPC, a private
// PostgreSQL that requires SCRAM and accepts TLS, and psql, pgbench, node-postgres and Prisma.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  createTestDatabase,
  queryDatabase,
  selfSignedCertificate,
  startAgent,
  startControlPlane,
  startPrivatePostgres,
  waitFor,
  type CertificateFiles,
  type ControlPlaneHandle,
  type ManagedProcess,
  type PrivatePostgres,
  type TestDatabase,
} from '@postern/testing';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { runPsql } from './support/psql.js';
import { grantEngineers } from './support/raw-agent.js';

const run = promisify(execFile);

let cpDatabase: TestDatabase;
let target: PrivatePostgres;
let tls: CertificateFiles;
let cp: ControlPlaneHandle;
let agent: ManagedProcess;
let agentPort: number;
let relayPort: number;
let shopId: string;
let aliceId: string;
let password: string;
const workdir = mkdtempSync(join(tmpdir(), 'postern-e2e-'));

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

/** psql as a user would run it; resolves with its output whatever the exit code. */
async function psql(
  port: number,
  args: string[],
  options: { password?: string; database?: string; sslmode?: string; user?: string } = {},
) {
  const conninfo = `host=127.0.0.1 port=${port} dbname=${options.database ?? 'shop'} user=${options.user ?? 'alice@example.com'} sslmode=${options.sslmode ?? 'require'}`;
  return runPsql(conninfo, options.password ?? password, ['-v', 'ON_ERROR_STOP=1', '-At', ...args]);
}

async function mint(userId: string, ttlSeconds = 600): Promise<string> {
  const data = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!, $t: Int) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: $t }) { password } }',
    { c: shopId, u: userId, t: ttlSeconds },
  );
  return data.mintConnectionCredential.password;
}

beforeAll(async () => {
  [cpDatabase, target, tls] = await Promise.all([
    createTestDatabase('postern_e2e'),
    startPrivatePostgres(),
    selfSignedCertificate(),
  ]);
  const scram = target.users.scram;
  await target.query(
    `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
     ALTER TABLE items OWNER TO ${scram.user};`,
    scram.database,
  );
  writeFileSync(join(workdir, 'target-ca.pem'), target.ca);

  cp = await startControlPlane({ databaseUrl: cpDatabase.url, tls });
  relayPort = cp.relayPort!;
  const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation { createAgent(input: { name: "edge-pg" }) { agent { id } enrollment { token } } }',
  );
  agent = startAgent({
    controlPlaneAddress: cp.grpcAddress,
    stateDir: join(workdir, 'agent'),
    caFile: tls.certFile,
    enrollmentToken: created.createAgent.enrollment.token,
    env: {
      POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
      POSTERN_AGENT_TLS_CERT_FILE: tls.certFile,
      POSTERN_AGENT_TLS_KEY_FILE: tls.keyFile,
      SHOP_DB_PASSWORD: scram.password,
      // The agent's own allow-lists (DESIGN.md §6b): this suite's secrets and targets.
      POSTERN_AGENT_SECRET_ALLOW: `env:SHOP_DB_PASSWORD,file:${workdir}/`,
      POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
      POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: '127.0.0.1',
    },
  });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  await agent.waitForMessage('connected to control plane');

  shopId = (
    await admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name: 'shop',
          protocol: 'POSTGRES',
          agentId: created.createAgent.agent.id,
          targetHost: '127.0.0.1',
          targetPort: target.port,
          targetDatabase: scram.database,
          targetUser: scram.user,
          secretRef: 'env:SHOP_DB_PASSWORD',
          tlsMode: 'verify-full',
          tlsCaRef: `file:${join(workdir, 'target-ca.pem')}`,
        },
      },
    )
  ).createConnection.id;
  await grantEngineers(cp, shopId);
  aliceId = (
    await admin<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "alice@example.com", displayName: "Alice", groups: ["engineers"] }) { id } }',
    )
  ).createUser.id;
  password = await mint(aliceId);
  // The agent has the credential once its pushed policy carries it.
  await waitFor(async () => (await psql(agentPort, ['-c', 'select 1'])).code === 0, {
    timeoutMs: 10_000,
    what: 'policy with the credential on the agent',
  });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await target?.stop();
  await cpDatabase?.drop();
});

describe.each([
  ['local ingress', () => agentPort],
  ['relay', () => relayPort],
])('psql through the %s', (_name, port) => {
  test('queries, transactions and a large result, identical to the target', async () => {
    expect((await psql(port(), ['-c', 'select count(*), sum(id) from items'])).stdout.trim()).toBe('1000|500500');
    const tx = await psql(port(), [
      '-c',
      "begin; insert into items values (-1, 'temp'); rollback; select count(*) from items where id < 0",
    ]);
    expect(tx.stdout.trim().split('\n')).toEqual(['BEGIN', 'INSERT 0 1', 'ROLLBACK', '0']);
    const big = await psql(port(), ['-c', 'select g, md5(g::text) from generate_series(1, 200000) g']);
    expect(big.code).toBe(0);
    const lines = big.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200_000);
    expect(lines[199_999]).toBe(
      `200000|${(await target.query("select md5('200000') as m", target.users.scram.database)).rows[0].m}`,
    );
  });

  test('a value over the 8 MiB gRPC message limit comes through whole', async () => {
    const big = await psql(port(), ['-c', "select repeat('x', 12 * 1024 * 1024), 'after'"]);
    expect(big.stderr).toBe('');
    expect(big.stdout.trimEnd()).toBe(`${'x'.repeat(12 * 1024 * 1024)}|after`);
  });

  test('a user name that is not the credential’s principal is refused with 28000', async () => {
    const result = await runPsql(
      `host=127.0.0.1 port=${port()} dbname=shop user=bob@example.com sslmode=require`,
      password,
      ['-c', 'select 1'],
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('the credential presented does not belong to user "bob@example.com"');
    expect(result.stderr).toContain('Connect with user=alice@example.com');
  });

  test('\\copy in both directions', async () => {
    const file = join(workdir, `copy-${port()}.csv`);
    const out = await psql(port(), ['-c', `\\copy (select id, name from items where id <= 100) to '${file}' csv`]);
    expect(out.stdout).toMatch(/COPY 100/);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('1,item 1');
    const table = `copied_${port()}`;
    await psql(port(), ['-c', `create table ${table} (id int, name text)`]);
    expect((await psql(port(), ['-c', `\\copy ${table} from '${file}' csv`])).stdout).toMatch(/COPY 100/);
    expect((await psql(port(), ['-c', `select count(*) from ${table}`])).stdout.trim()).toBe('100');
  });

  test('refusals carry the right SQLSTATE and open no target connection', async () => {
    const before = Number(
      (await target.query(`select count(*) as n from pg_stat_activity where usename = '${target.users.scram.user}'`))
        .rows[0].n,
    );
    // An unknown connection answers like one the credential does not open: names cannot be probed.
    const unknown = await psql(port(), ['-c', 'select 1'], { database: 'nope', password });
    expect(unknown.stderr).toMatch(/password authentication failed for user "alice@example.com"/);
    const wrong = await psql(port(), ['-c', 'select 1'], { password: `${password.slice(0, -1)}x` });
    expect(wrong.stderr).toMatch(/password authentication failed for user "alice@example.com"/);
    const unknownWrong = await psql(port(), ['-c', 'select 1'], {
      database: 'nope',
      password: `${password.slice(0, -1)}x`,
    });
    expect(unknownWrong.stderr).toBe(wrong.stderr);
    const after = Number(
      (await target.query(`select count(*) as n from pg_stat_activity where usename = '${target.users.scram.user}'`))
        .rows[0].n,
    );
    // A connection of the previous test may still be closing: the count can drop, never grow.
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('clients', () => {
  test('pgbench -i, -S and -S -M extended run through both ingress modes', async () => {
    const env = { PATH: process.env['PATH'] ?? '', PGPASSWORD: password, PGSSLMODE: 'require' };
    const base = ['-h', '127.0.0.1', '-U', 'alice@example.com'];
    await run('pgbench', ['-i', '-s', '1', ...base, '-p', String(agentPort), 'shop'], { env });
    for (const port of [agentPort, relayPort]) {
      for (const mode of [[], ['-M', 'extended']]) {
        const { stdout } = await run(
          'pgbench',
          ['-S', '-c', '4', '-j', '2', '-T', '2', ...mode, ...base, '-p', String(port), 'shop'],
          { env },
        );
        expect(stdout).toMatch(/number of failed transactions: 0/);
        expect(stdout).toMatch(/tps = \d+/);
      }
    }
  });

  test('node-postgres works unmodified: parameters, named prepared statements, transactions (relay, verified TLS)', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: relayPort,
      database: 'shop',
      user: 'alice@example.com',
      password,
      ssl: { ca: tls.cert, servername: 'localhost' },
    });
    await client.connect();
    try {
      expect((await client.query('select name from items where id = $1', [42])).rows).toEqual([{ name: 'item 42' }]);
      for (const id of [7, 8]) {
        const r = await client.query({ name: 'by-id', text: 'select id from items where id = $1', values: [id] });
        expect(r.rows[0].id).toBe(id);
      }
      await client.query('begin');
      await client.query("insert into items values (5000, 'x')");
      await client.query('rollback');
      expect((await client.query('select count(*)::int as n from items where id = 5000')).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });

  test('Prisma Client with @prisma/adapter-pg works unmodified (local ingress)', async () => {
    // The control plane's own Prisma client, pointed through Postern at a connection whose target
    // has the control plane's schema.
    const cpConnection = await admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name: 'cpdb',
          protocol: 'POSTGRES',
          agentId: (await admin<{ agents: Array<{ id: string }> }>('{ agents { id } }')).agents[0]!.id,
          targetHost: '127.0.0.1',
          targetPort: 5432,
          targetDatabase: cpDatabase.name,
          targetUser: 'postgres',
          secretRef: 'env:SHOP_DB_PASSWORD',
          tlsMode: 'disable',
        },
      },
    );
    await admin(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read"] }) { id } }',
      { id: cpConnection.createConnection.id },
    );
    const credential = (
      await admin<{ mintConnectionCredential: { password: string } }>(
        'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u }) { password } }',
        { c: cpConnection.createConnection.id, u: aliceId },
      )
    ).mintConnectionCredential.password;
    const url = `postgresql://alice%40example.com:${encodeURIComponent(credential)}@127.0.0.1:${agentPort}/cpdb?sslmode=no-verify`;
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    try {
      const agents = await waitFor(async () => prisma.agent.findMany({ select: { name: true } }), {
        what: 'prisma through postern',
      });
      expect(agents).toEqual([{ name: 'edge-pg' }]);
      const [count, users] = await prisma.$transaction([
        prisma.connection.count(),
        prisma.user.findMany({ select: { email: true } }),
      ]);
      expect(count).toBe(2);
      expect(users).toEqual([{ email: 'alice@example.com' }]);
    } finally {
      await prisma.$disconnect();
    }
  });

  test('the relay closes a cancel request’s connection as soon as it is forwarded', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: relayPort,
      database: 'shop',
      user: 'alice@example.com',
      password,
      ssl: { ca: tls.cert, servername: 'localhost' },
    });
    await client.connect();
    try {
      const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
      const sleeping = client.query('select pg_sleep(30)').catch((error: { code?: string }) => error.code);
      await waitFor(
        async () =>
          (await target.query(`select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(30)'`))
            .rows[0].n === 1,
        { what: 'the sleeping query on the target' },
      );
      const cancel = Buffer.alloc(16);
      cancel.writeInt32BE(16, 0);
      cancel.writeInt32BE(80877102, 4);
      cancel.writeInt32BE(processID, 8);
      cancel.writeInt32BE(secretKey, 12);
      const socket = createConnection(relayPort, '127.0.0.1');
      const sent = Date.now();
      socket.end(cancel);
      const [closedAt, code] = await Promise.all([
        new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now()))),
        sleeping,
      ]);
      expect(code).toBe('57014');
      // libpq and asyncpg wait for this close; PostgreSQL closes as soon as it signalled the
      // backend (the relay used to hold it for a second).
      expect(closedAt - sent).toBeLessThan(500);
    } finally {
      await client.end();
    }
  });

  test('psql cancels a query through the relay, reaching the right backend only', async () => {
    const conninfo = `host=127.0.0.1 port=${relayPort} dbname=shop user=alice@example.com sslmode=require`;
    const env = { PATH: process.env['PATH'] ?? '', PGPASSWORD: password };
    const other = spawn('psql', [conninfo, '-X', '-At', '-c', 'select pg_sleep(4), 1'], { env });
    const victim = spawn('psql', [conninfo, '-X', '-At', '-c', 'select pg_sleep(30)'], { env });
    let victimErr = '';
    let otherOut = '';
    victim.stderr.on('data', (d: Buffer) => (victimErr += d.toString()));
    other.stdout.on('data', (d: Buffer) => (otherOut += d.toString()));
    await waitFor(
      async () => {
        const r = await target.query(
          `select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(30)%'`,
        );
        return r.rows[0].n === 1;
      },
      { what: 'the sleeping query on the target' },
    );
    const started = Date.now();
    victim.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => victim.on('exit', resolve));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).not.toBe(0);
    expect(victimErr).toMatch(/canceling statement due to user request/);
    await new Promise((resolve) => other.on('exit', resolve));
    expect(otherOut.trim()).toBe('|1');
  });
});

describe('sessions and secrets', () => {
  test('sessions are recorded with who, which connection, from where, ingress, end reason, bytes and statements', async () => {
    await psql(agentPort, ['-c', 'select 1', '-c', 'select 2']);
    const sessions = await waitFor(
      async () => {
        const data = await admin<{ sessions: Array<Record<string, unknown>> }>(
          'query($c: ID) { sessions(connectionId: $c, status: "CLOSED", limit: 500) { principalName ingress clientAddress endReason statementCount bytesFromClient bytesFromTarget startedAt endedAt } }',
          { c: shopId },
        );
        return data.sessions.length > 0 ? data.sessions : undefined;
      },
      { what: 'closed sessions in GraphQL' },
    );
    expect(sessions.some((s) => s['ingress'] === 'relay')).toBe(true);
    const latest = sessions.find((s) => s['ingress'] === 'local')!;
    expect(latest).toMatchObject({ principalName: 'Alice', endReason: 'client_closed' });
    expect(latest['statementCount']).toBeGreaterThanOrEqual(2);
    expect(Number(latest['bytesFromTarget'])).toBeGreaterThan(0);
    expect(String(latest['clientAddress'])).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('a credential whose user lost access is refused with 28000; a disabled user with 28P01', async () => {
    const bob = (
      await admin<{ createUser: { id: string } }>(
        'mutation { createUser(input: { email: "bob@example.com", groups: ["engineers"] }) { id } }',
      )
    ).createUser.id;
    const bobPassword = await mint(bob);
    await waitFor(
      async () =>
        (await psql(agentPort, ['-c', 'select 1'], { password: bobPassword, user: 'bob@example.com' })).code === 0,
      {
        what: "bob's credential on the agent",
      },
    );
    await admin('mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }', { id: bob });
    await waitFor(
      async () =>
        /password authentication failed/.test(
          (await psql(agentPort, ['-c', 'select 1'], { password: bobPassword, user: 'bob@example.com' })).stderr,
        ),
      { what: 'disabled user refused' },
    );

    const rules = await admin<{ accessRules: Array<{ id: string }> }>(
      'query($c: ID) { accessRules(connectionId: $c) { id } }',
      { c: shopId },
    );
    await admin('mutation($id: ID!) { deleteAccessRule(id: $id) { id } }', { id: rules.accessRules[0]!.id });
    try {
      const refused = await waitFor(
        async () => {
          const r = await psql(agentPort, ['-c', 'select 1']);
          return /no access to connection "shop"/.test(r.stderr) ? r : undefined;
        },
        { what: 'no access' },
      );
      expect(refused.code).not.toBe(0);
    } finally {
      await grantEngineers(cp, shopId);
    }
  });

  test('the target password is never in the logs, the control plane data or the GraphQL API', async () => {
    const secret = target.users.scram.password;
    expect(agent.output()).not.toContain(secret);
    expect(cp.process.output()).not.toContain(secret);
    for (const table of ['connections', 'audit_events', 'sessions', 'agents']) {
      expect(JSON.stringify(await queryDatabase(cpDatabase.url, `select * from ${table}`))).not.toContain(secret);
    }
    const api = await cp.admin('{ connections { id name secretRef targetUser } }');
    expect(JSON.stringify(api)).not.toContain(secret);
    expect(JSON.stringify(api)).toContain('env:SHOP_DB_PASSWORD');
  });
});

describe('revocation', () => {
  async function liveClient(port: number, user: string, credential: string) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      database: 'shop',
      user,
      password: credential,
      ssl: { ca: tls.cert, servername: 'localhost' },
    });
    const ended = new Promise<{ error: Error & { code?: string }; at: number }>((resolve) =>
      client.on('error', (error: Error & { code?: string }) => resolve({ error, at: Date.now() })),
    );
    await client.connect();
    await client.query('select 1');
    return { client, ended };
  }

  test('disabling a user ends their live session within 1 s, with 57P01', async () => {
    const carol = (
      await admin<{ createUser: { id: string } }>(
        'mutation { createUser(input: { email: "carol@example.com", groups: ["engineers"] }) { id } }',
      )
    ).createUser.id;
    const credential = await mint(carol);
    await waitFor(
      async () =>
        (await psql(agentPort, ['-c', 'select 1'], { password: credential, user: 'carol@example.com' })).code === 0,
      {
        what: "carol's credential on the agent",
      },
    );
    const { client, ended } = await liveClient(agentPort, 'carol@example.com', credential);
    const disabledAt = Date.now();
    await admin('mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }', { id: carol });
    const { error, at } = await ended;
    expect(at - disabledAt).toBeLessThan(1_000);
    expect(error.code).toBe('57P01');
    expect(error.message).toMatch(/access revoked/);
    await client.end().catch(() => undefined);
    const session = await waitFor(
      async () => {
        const data = await admin<{ sessions: Array<{ endReason: string; principalId: string }> }>(
          'query { sessions(status: "CLOSED", limit: 500) { endReason principalId } }',
        );
        return data.sessions.find((s) => s.principalId === carol && s.endReason === 'revoked');
      },
      { what: "carol's closed session" },
    );
    expect(session.endReason).toBe('revoked');
  });

  test('an administrator terminates a relayed session', async () => {
    const { client, ended } = await liveClient(relayPort, 'alice@example.com', password);
    const active = await waitFor(
      async () => {
        const data = await admin<{ sessions: Array<{ id: string; ingress: string }> }>(
          'query { sessions(status: "ACTIVE", limit: 500) { id ingress } }',
        );
        return data.sessions.find((s) => s.ingress === 'relay');
      },
      { what: 'the active relayed session' },
    );
    const at = Date.now();
    await admin('mutation($id: ID!) { terminateSession(id: $id) { id } }', { id: active.id });
    const { error, at: endedAt } = await ended;
    expect(endedAt - at).toBeLessThan(1_000);
    expect(error.code).toBe('57P01');
    await client.end().catch(() => undefined);
    await waitFor(
      async () => {
        const data = await admin<{ session: { status: string; endReason: string } }>(
          'query($id: ID!) { session(id: $id) { status endReason } }',
          { id: active.id },
        );
        return data.session.status === 'CLOSED' && data.session.endReason === 'revoked';
      },
      { what: 'the terminated session closed' },
    );
  });
});
