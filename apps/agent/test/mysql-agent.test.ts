// MySQL through the real agent process: the built control plane and agent on libs/testing's
// startStack, a MYSQL connection created through the API, a minted connection credential, the
// agent's local ingress (POSTERN_AGENT_MYSQL_LISTEN), the machine's MariaDB and real clients.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startStack, waitFor, type StackAgent, type TestStack } from '@postern/testing';
import { connectThrough, runMariadb, TargetDatabase } from './mysql-harness.js';

let stack: TestStack;
let db: TargetDatabase;
let agent: StackAgent;
let port: number;
let credential: { user: string; password: string };

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

beforeAll(async () => {
  db = await TargetDatabase.create();
  await db.root(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64))`);
  await db.root(`INSERT INTO items VALUES (1, 'apple')`);
  await db.root(`CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(64))`);
  await db.root(`INSERT INTO customers VALUES (1, 'ada@example.com')`);
  stack = await startStack({ name: 'postern_mysql_agent' });
  agent = await stack.enrollAgent('edge-mysql', {
    POSTERN_AGENT_MYSQL_LISTEN: '127.0.0.1:0',
    SHOP_MYSQL_PASSWORD: db.native.password,
    POSTERN_AGENT_SECRET_ALLOW: 'env:SHOP_MYSQL_PASSWORD',
    POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
    // A shared, busy machine: a brief reconnect must not fail this suite's logins.
    POSTERN_AGENT_POLICY_MAX_STALENESS_SECONDS: '60',
  });
  port = Number(
    (await agent.process.waitForLog((line) => line.msg === 'local ingress listening' && line['protocol'] === 'mysql'))[
      'port'
    ],
  );
  const connectionId = (
    await admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name: 'shop-mysql',
          protocol: 'MYSQL',
          agentId: agent.id,
          targetHost: '127.0.0.1',
          targetPort: 3306,
          targetDatabase: db.name,
          targetUser: db.native.user,
          secretRef: 'env:SHOP_MYSQL_PASSWORD',
          tlsMode: 'disable',
        },
      },
    )
  ).createConnection.id;
  await admin(
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"] }) { id } }',
    {
      id: connectionId,
    },
  );
  // MySQL rules, validated by the control plane with policy-mysql and pushed to the agent.
  await admin(
    `mutation { createGuardrail(input: { name: "no drops", dialect: "mysql", match: { statementKinds: ["DROP TABLE"] } }) { id } }`,
  );
  await admin(
    `mutation { createMaskingRule(input: { name: "emails", dialect: "mysql", spec: { columns: ["customers.email"], style: "redact" } }) { id } }`,
  );
  const userId = (
    await admin<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "alice@example.com", displayName: "Alice", groups: ["engineers"] }) { id } }',
    )
  ).createUser.id;
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 600 }) { password } }',
    { c: connectionId, u: userId },
  );
  credential = { user: 'alice@example.com', password: minted.mintConnectionCredential.password };
  // The agent knows the credential once its pushed policy carries it.
  await waitFor(async () => (await runMariadb(port, 'shop-mysql', 'SELECT 1;', credential)).code === 0, {
    timeoutMs: 15_000,
    what: 'policy with the credential on the agent',
  });
}, 120_000);

afterAll(async () => {
  if (process.env['MYSQL_AGENT_DEBUG']) console.log(agent?.process.output());
  await stack?.stop();
  await db?.drop();
});

test('the mariadb CLI and mysql2 work through the agent with a minted connection credential', async () => {
  const cli = await runMariadb(
    port,
    'shop-mysql',
    "INSERT INTO items VALUES (2, 'pear'); SELECT name FROM items ORDER BY id;",
    credential,
  );
  expect(cli.stderr).toBe('');
  expect(cli.stdout).toBe('name\napple\npear\n');
  const connection = await connectThrough(port, 'shop-mysql', credential);
  const [rows] = await connection.execute('SELECT name FROM items WHERE id = ?', [2]);
  expect(rows).toEqual([{ name: 'pear' }]);
  await connection.end();
});

test('rules written in the API for the mysql dialect are enforced by the agent', async () => {
  const connection = await connectThrough(port, 'shop-mysql', credential);
  await expect(connection.query('/*!50000 DROP TABLE items */')).rejects.toMatchObject({
    errno: 1142,
    message: expect.stringContaining('no drops'),
  });
  const [rows] = await connection.query('SELECT email AS contact FROM customers');
  expect(rows).toEqual([{ contact: '********' }]);
  await connection.end();
  expect(((await db.root("SHOW TABLES LIKE 'items'")) as unknown[]).length).toBe(1);
});

test('a wrong credential is refused by the agent', async () => {
  const cli = await runMariadb(port, 'shop-mysql', 'SELECT 1;', {
    user: credential.user,
    password: 'postern_conn_wrong',
  });
  expect(cli.code).not.toBe(0);
  expect(cli.stderr).toContain('ERROR 1045');
});

test('sessions are reported to the control plane; terminating one ends it with an ERR at once', async () => {
  const connection = await connectThrough(port, 'shop-mysql', credential);
  // The control plane knows the session by the client's address.
  const stream = (connection as unknown as { connection: { stream: { localPort: number } } }).connection.stream;
  const clientAddress = `127.0.0.1:${stream.localPort}`;
  const sleeping = connection.query('SELECT SLEEP(30)');
  const active = await waitFor(
    async () => {
      const data = await admin<{ sessions: { id: string; clientAddress: string | null }[] }>(
        '{ sessions(status: "ACTIVE") { id clientAddress } }',
      );
      return data.sessions.find((s) => s.clientAddress === clientAddress);
    },
    { timeoutMs: 10_000, what: 'the active session in the control plane' },
  );
  const started = Date.now();
  await admin('mutation($id: ID!) { terminateSession(id: $id) { id } }', { id: active.id });
  await expect(sleeping).rejects.toMatchObject({ errno: 1927 });
  const elapsed = Date.now() - started;
  expect(elapsed).toBeLessThan(5_000);
  connection.destroy();
  const closed = await waitFor(
    async () => {
      const data = await admin<{ sessions: { id: string; endReason: string | null; statementCount: number }[] }>(
        '{ sessions(status: "CLOSED") { id endReason statementCount } }',
      );
      return data.sessions.find((s) => s.id === active.id);
    },
    { timeoutMs: 10_000, what: 'the closed session' },
  );
  expect(closed.endReason).toBe('revoked');
  expect(closed.statementCount).toBe(1);
});
