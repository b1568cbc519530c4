// MySQL/MariaDB through the control plane's relay (POSTERN_RELAY_PROTOCOLS=postgres,mysql), with
// real processes and real clients: two control-plane replicas on one database and one Redis
// prefix (internal link on), the agent's Control stream on the first, the machine's MariaDB as
// the target, the development IdP for the CLI's sign-in; the `mariadb` CLI with TLS verified
// against the relay's CA, mysql2 (text and binary protocol), raw sockets for what real clients
// never send, and `postern connect` / `postern env`.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import mysql from 'mysql2/promise';
import {
  AuthPlugin,
  Capability,
  encodeHandshakeResponse41,
  encodeSslRequest,
  GATEWAY_CAPABILITIES,
  packet,
} from '@postern/wire-mysql';
import {
  devIdpEnv,
  REPO_ROOT,
  selfSignedCertificate,
  startControlPlane,
  startStack,
  waitFor,
  type CertificateFiles,
  type ControlPlaneHandle,
  type StackAgent,
  type TestStack,
} from '@postern/testing';
import { accessTokenFor, POSTERN_DATA_PLANE_AUDIENCE } from './support/oidc-login.js';
import { MysqlTarget, RawClient, runMariadb } from './support/mysql.js';

const CLI = `${REPO_ROOT}apps/cli/dist/main.js`;
const DANA = 'dana@example.com';

let stack: TestStack;
let replicaB: ControlPlaneHandle;
let target: MysqlTarget;
let relayTls: CertificateFiles;
let agent: StackAgent;
/** The MySQL relay ports of the replica holding the agent's stream (a) and of the other one (b). */
let portA: number;
let portB: number;
let password: string;
const workDir = join(tmpdir(), `postern-mysql-relay-${randomBytes(4).toString('hex')}`);

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

/** The mariadb CLI through a relay port, verifying the relay's certificate against its CA. */
function mariadb(port: number, sql: string, options: { connection?: string; pw?: string } = {}) {
  return runMariadb(
    [
      '-P',
      String(port),
      '--ssl',
      '--ssl-verify-server-cert',
      `--ssl-ca=${relayTls.certFile}`,
      '-u',
      DANA,
      options.connection ?? 'shop-mysql',
    ],
    options.pw ?? password,
    sql,
  );
}

/** mysql2 through the relay: TLS verified against the relay's CA, the credential in clear inside it. */
function mysql2(connection = 'shop-mysql', pw = password, user = DANA, port = portA) {
  return mysql.createConnection({
    host: '127.0.0.1',
    port,
    user,
    password: pw,
    database: connection,
    enableCleartextPlugin: true,
    ssl: { ca: readFileSync(relayTls.certFile, 'utf8') },
  });
}

async function mysqlPort(cp: ControlPlaneHandle): Promise<number> {
  return Number((await cp.process.waitForMessage('mysql relay listening'))['port']);
}

beforeAll(async () => {
  [target, relayTls] = await Promise.all([MysqlTarget.create(), selfSignedCertificate()]);
  await target.root(
    `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64));
     INSERT INTO items VALUES (1, 'apple');
     CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(64));
     INSERT INTO customers VALUES (1, 'ada@example.com');`,
  );
  const redisPrefix = `postern-test-mysql-relay-${randomBytes(4).toString('hex')}`;
  const shared = {
    POSTERN_INTERNAL_HOST: '127.0.0.1',
    POSTERN_INTERNAL_PORT: '0',
    POSTERN_INTERNAL_SECRET: randomBytes(32).toString('base64'),
    POSTERN_INTERNAL_INSECURE: 'true',
    POSTERN_RELAY_PROTOCOLS: 'postgres,mysql',
    POSTERN_RELAY_MYSQL_HOST: '127.0.0.1',
    POSTERN_RELAY_MYSQL_PORT: '0',
    // The relay's own certificate (the gRPC port stays plaintext here), and the CA the API hands
    // to clients such as the CLI.
    POSTERN_RELAY_TLS_CERT_FILE: relayTls.certFile,
    POSTERN_RELAY_TLS_KEY_FILE: relayTls.keyFile,
    POSTERN_RELAY_TLS_CA_FILE: relayTls.certFile,
    POSTERN_RELAY_AUTH_FAILURES_PER_MINUTE: '3',
    // Slower heartbeats than the fixture's (200 ms / 1.5 s): on a loaded machine a stalled agent
    // would be taken for gone, and relayed logins refused as unavailable, mid-suite.
    POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '1000',
    POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '10000',
  };
  stack = await startStack({
    name: 'postern_mysql_relay',
    idp: true,
    controlPlane: { redisPrefix, env: { ...shared, POSTERN_INSTANCE_ID: 'cp-a' } },
  });
  // The second replica, started after the first applied the migrations.
  replicaB = await startControlPlane({
    databaseUrl: stack.database.url,
    redisPrefix,
    adminToken: stack.cp.adminToken,
    env: { ...devIdpEnv(stack.idp!), ...shared, POSTERN_INSTANCE_ID: 'cp-b' },
  });
  [portA, portB] = await Promise.all([mysqlPort(stack.cp), mysqlPort(replicaB)]);
  agent = await stack.enrollAgent('edge-mysql', {
    SHOP_MYSQL_PASSWORD: target.password,
    POSTERN_AGENT_SECRET_ALLOW: 'env:SHOP_MYSQL_PASSWORD',
    POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
    // A shared, busy machine: a brief reconnect must not fail this suite's logins.
    POSTERN_AGENT_POLICY_MAX_STALENESS_SECONDS: '60',
  });
  const create = async (name: string) =>
    (
      await admin<{ createConnection: { id: string } }>(
        'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
        {
          input: {
            name,
            protocol: 'MYSQL',
            agentId: agent.id,
            targetHost: '127.0.0.1',
            targetPort: 3306,
            targetDatabase: target.database,
            targetUser: target.user,
            secretRef: 'env:SHOP_MYSQL_PASSWORD',
            tlsMode: 'disable',
          },
        },
      )
    ).createConnection.id;
  const shopId = await create('shop-mysql');
  await create('vault-mysql'); // nobody has access to it
  await admin(
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"] }) { id } }',
    { id: shopId },
  );
  await admin(
    `mutation { createGuardrail(input: { name: "no drops", dialect: "mysql", match: { statementKinds: ["DROP TABLE"] } }) { id } }`,
  );
  await admin(
    `mutation { createMaskingRule(input: { name: "emails", dialect: "mysql", spec: { columns: ["customers.email"], style: "redact" } }) { id } }`,
  );
  const userId = (
    await admin<{ createUser: { id: string } }>(
      `mutation { createUser(input: { email: "${DANA}", displayName: "Dana", groups: ["engineers"] }) { id } }`,
    )
  ).createUser.id;
  password = (
    await admin<{ mintConnectionCredential: { password: string } }>(
      'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 900 }) { password } }',
      { c: shopId, u: userId },
    )
  ).mintConnectionCredential.password;
  // The agent knows the credential once its pushed policy carries it.
  await waitFor(async () => (await mariadb(portA, 'SELECT 1;')).code === 0, {
    timeoutMs: 20_000,
    what: 'a first relayed login (policy with the credential on the agent)',
  });
}, 180_000);

afterAll(async () => {
  if (process.env['MYSQL_RELAY_DEBUG']) console.log(stack?.cp.process.output(), agent?.process.output());
  await replicaB?.process.stop();
  await stack?.stop();
  await target?.drop();
  await rm(workDir, { recursive: true, force: true });
  await rm(relayTls?.dir ?? join(workDir, 'none'), { recursive: true, force: true });
});

test('the mariadb CLI logs in over TLS verified against the relay CA and works as against a server', async () => {
  const run = await mariadb(
    portA,
    "INSERT INTO items VALUES (2, 'pear'); SELECT name FROM items ORDER BY id; SELECT CURRENT_USER() AS me;",
  );
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe(`name\napple\npear\nme\n${target.user}@127.0.0.1\n`);
  // A client that sends the clear password in its first answer skips the auth switch: the
  // relay's OK then comes one sequence id earlier, and the client accepts it.
  const direct = await runMariadb(
    [
      '-P',
      String(portA),
      '--ssl',
      '--ssl-verify-server-cert',
      `--ssl-ca=${relayTls.certFile}`,
      '--default-auth=mysql_clear_password',
      '-u',
      DANA,
      'shop-mysql',
    ],
    password,
    'SELECT COUNT(*) AS n FROM items;',
  );
  expect(direct.stderr).toBe('');
  expect(direct.stdout).toBe('n\n2\n');
});

test('mysql2 through the relay: text queries, prepared statements (binary protocol), a transaction', async () => {
  const connection = await mysql2();
  try {
    const [rows] = await connection.query('SELECT id, name FROM items WHERE id = 1');
    expect(rows).toEqual([{ id: 1, name: 'apple' }]);
    const [bound] = await connection.execute('SELECT name FROM items WHERE id = ?', [1]);
    expect(bound).toEqual([{ name: 'apple' }]);
    await connection.beginTransaction();
    await connection.execute('INSERT INTO items VALUES (?, ?)', [3, 'plum']);
    await connection.rollback();
    const [after] = await connection.query('SELECT COUNT(*) AS n FROM items WHERE id = 3');
    expect(after).toEqual([{ n: 0 }]);
  } finally {
    await connection.end();
  }
});

test('guardrails and masking apply to relayed sessions: the agent is the one enforcement point', async () => {
  const connection = await mysql2();
  try {
    await expect(connection.query('/*!50000 DROP TABLE items */')).rejects.toMatchObject({
      errno: 1142,
      message: expect.stringContaining('no drops'),
    });
    const [text] = await connection.query('SELECT email AS contact FROM customers');
    expect(text).toEqual([{ contact: '********' }]);
    const [binary] = await connection.execute('SELECT email FROM customers WHERE id = ?', [1]);
    expect(binary).toEqual([{ email: '********' }]);
  } finally {
    await connection.end();
  }
  expect(((await target.root("SHOW TABLES LIKE 'items'")) as unknown[]).length).toBe(1);
});

test('refusals in MySQL words: plaintext 3159, bad credential 1045, no access and unknown name alike 1044, then 1040; an IdP token logs in', async () => {
  const plain = await runMariadb(['-P', String(portA), '--skip-ssl', '-u', DANA, 'shop-mysql'], password, 'SELECT 1;');
  expect(plain.code).not.toBe(0);
  expect(plain.stderr).toContain('ERROR 3159');

  type MysqlFailure = { errno: number; message: string };
  const failure = (pending: Promise<unknown>) => pending.then(() => undefined).catch((error: MysqlFailure) => error);
  // A wrong credential, and a good one for another connection, are the same to a client.
  const wrong = await failure(mysql2('shop-mysql', 'postern_conn_wrong'));
  const elsewhere = await failure(mysql2('vault-mysql'));
  expect(wrong).toMatchObject({ errno: 1045, message: `Access denied for user '${DANA}' (using password: YES)` });
  expect(elsewhere).toEqual(wrong);
  // Alice's IdP token (data-plane audience) as the password: in where her group has access...
  const token = await accessTokenFor(stack.idp!, 'alice', POSTERN_DATA_PLANE_AUDIENCE);
  const alice = await mysql2('shop-mysql', token, 'alice@example.com');
  expect((await alice.query('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
  await alice.end();
  // ...and a connection without access and a name that does not exist get the same answer.
  const forbidden = await failure(mysql2('vault-mysql', token, 'alice@example.com'));
  const unknown = await failure(mysql2('no-such-mysql', token, 'alice@example.com'));
  expect(forbidden).toMatchObject({ errno: 1044 });
  expect(unknown).toMatchObject({ errno: 1044 });
  expect(unknown!.message.replace('no-such-mysql', 'X')).toBe(forbidden!.message.replace('vault-mysql', 'X'));
  // Failed logins of one user from one host lock that user out for a while (3 a minute here).
  const errnos: number[] = [];
  for (let i = 0; i < 5 && !errnos.includes(1040); i++) {
    errnos.push(
      (
        (await mysql2('shop-mysql', 'postern_conn_guess', 'mallory@example.com').catch((e: unknown) => e)) as {
          errno: number;
        }
      ).errno,
    );
  }
  expect(errnos.slice(0, 3)).toEqual([1045, 1045, 1045]);
  expect(errnos.at(-1)).toBe(1040);
  // Others are not locked out.
  expect((await mariadb(portA, 'SELECT 1 AS one;')).stdout).toBe('one\n1\n');
});

test('garbage, oversized and vanishing clients get an ERR or a close, never a crash', async () => {
  // An HTTP request: its first bytes read as a 5 MB packet.
  const http = await RawClient.open(portA);
  http.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await http.closed;
  expect(http.lastError()).toMatchObject({ code: 1153 });

  // A malformed handshake response.
  const garbage = await RawClient.open(portA);
  await garbage.waitForPackets(1);
  garbage.socket.write(packet(Buffer.from([0xff, 0xff, 0, 0, 1, 2, 3]), 1));
  await garbage.closed;
  expect(garbage.lastError()).toMatchObject({ code: 1043, sequenceId: 2 });

  // Random bytes, whole or cut short, then gone.
  for (let i = 0; i < 30; i++) {
    const client = await RawClient.open(portA);
    client.socket.end(randomBytes(1 + ((i * 7) % 90)));
    await client.closed;
  }

  // Gone after an SSLRequest, in the middle of TLS, and after the response before the password.
  const head = {
    capabilityFlags: GATEWAY_CAPABILITIES,
    mariaDbCapabilityFlags: 0,
    maxPacketSize: 1 << 24,
    characterSet: 45,
  };
  const ssl = await RawClient.open(portA);
  await ssl.waitForPackets(1);
  ssl.socket.end(packet(encodeSslRequest(head), 1));
  await ssl.closed;
  const midTls = await RawClient.open(portA);
  await midTls.waitForPackets(1);
  midTls.socket.write(packet(encodeSslRequest(head), 1));
  const tls = connectTls({ socket: midTls.socket, ca: readFileSync(relayTls.certFile), servername: 'localhost' });
  tls.on('error', () => undefined);
  await new Promise<void>((resolve) => tls.once('secureConnect', () => resolve()));
  tls.write(
    packet(
      encodeHandshakeResponse41({
        ...head,
        username: DANA,
        authResponse: Buffer.alloc(20, 1),
        database: 'shop-mysql',
        authPluginName: AuthPlugin.NATIVE_PASSWORD,
        capabilityFlags: (GATEWAY_CAPABILITIES | Capability.SSL) >>> 0,
      }),
      2,
    ),
  );
  // The relay asks for the clear password (AuthSwitchRequest, sequence 3); the client vanishes.
  const switched = await new Promise<Buffer>((resolve) => tls.once('data', resolve));
  expect(switched[3]).toBe(3);
  expect(switched[4]).toBe(0xfe);
  tls.destroy();

  // The relay still serves everyone, and the control plane is still running.
  expect(stack.cp.process.running).toBe(true);
  expect((await mariadb(portA, 'SELECT 2 AS two;')).stdout).toBe('two\n2\n');
});

test('a client of the other replica is forwarded over the internal link; its session is the agent\u2019s and ends when terminated', async () => {
  const run = await mariadb(portB, 'SELECT name FROM items WHERE id = 1; SELECT email FROM customers;');
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe('name\napple\nemail\n********\n');
  expect(
    stack.cp.process.logs.some(
      (line) => line.msg === 'relay client forwarded by another replica' && line['protocol'] === 'mysql',
    ),
  ).toBe(true);

  // The agent reports the relayed session with the client's own address; terminating it ends
  // the client's statement with MariaDB's "connection killed", through both replicas.
  const connection = await mysql2('shop-mysql', password, DANA, portB);
  const stream = (
    connection as unknown as { connection: { stream: { localPort?: number; socket?: { localPort: number } } } }
  ).connection.stream;
  const clientAddress = `127.0.0.1:${stream.localPort ?? stream.socket?.localPort}`;
  const sleeping = connection.query('SELECT SLEEP(30)');
  sleeping.catch(() => undefined);
  const active = await waitFor(
    async () => {
      const data = await admin<{ sessions: { id: string; clientAddress: string | null; ingress: string }[] }>(
        '{ sessions(status: "ACTIVE") { id clientAddress ingress } }',
      );
      return data.sessions.find((s) => s.clientAddress === clientAddress);
    },
    { timeoutMs: 15_000, what: `the active relayed session of ${clientAddress}` },
  );
  expect(active.ingress).toBe('relay');
  await admin('mutation($id: ID!) { terminateSession(id: $id) { id } }', { id: active.id });
  await expect(sleeping).rejects.toMatchObject({ errno: 1927 });
  connection.destroy();
});

test('postern connect and postern env reach a MySQL connection through the relay, TLS verified with the CA the API hands out', async () => {
  const configDir = join(workDir, 'alice');
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  await writeFile(
    join(configDir, 'credentials.json'),
    JSON.stringify({
      version: 1,
      issuer: stack.idp!.issuer,
      clientId: stack.idp!.clients.cli.clientId,
      audience: null,
      api: stack.cp.httpUrl,
      tokenType: 'Bearer',
      accessToken: await accessTokenFor(stack.idp!, 'alice'),
      expiresAt: null,
      refreshToken: null,
      scope: null,
      subject: 'alice',
      obtainedAt: new Date().toISOString(),
    }),
    { mode: 0o600 },
  );
  const env = { PATH: process.env['PATH'] ?? '', TZ: 'UTC', POSTERN_CONFIG_DIR: configDir, HOME: workDir };
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdin.end();
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const connect = await cli(['connect', 'shop-mysql', '--', '--batch', '-e', 'SELECT name FROM items WHERE id = 1']);
  expect(connect.stderr).toMatch(/Connecting to shop-mysql \(mysql\) at 127\.0\.0\.1:\d+ as alice@example\.com/);
  expect(connect).toMatchObject({ code: 0, stdout: 'name\napple\n' });

  const exported = await cli(['env', 'shop-mysql']);
  expect(exported).toMatchObject({ code: 0 });
  expect(exported.stdout).toContain('export MYSQL_PWD=');
  const viaEnv = spawnSync(
    'sh',
    [
      '-c',
      `${exported.stdout}\nmariadb --no-defaults --protocol=TCP --ssl-verify-server-cert --ssl-ca="$POSTERN_MYSQL_SSL_CA" ` +
        `-u "$POSTERN_MYSQL_USER" --batch -e 'SELECT COUNT(*) AS n FROM customers' "$POSTERN_MYSQL_DATABASE"`,
    ],
    { env, encoding: 'utf8' },
  );
  expect(viaEnv.stderr).toBe('');
  expect(viaEnv.stdout).toBe('n\n1\n');
});

test('credentials never reach the control planes\u2019 logs', () => {
  for (const output of [stack.cp.process.output(), replicaB.process.output()]) {
    expect(output).not.toContain(password);
    expect(output).not.toContain(target.password);
  }
});
