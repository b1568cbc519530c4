// `pnpm demo`: the whole product on one machine — a development OIDC provider, the control plane
// (TLS for agents), and one enrolled agent — then prints what to do next. Ctrl-C stops it all.
//
// Settings (environment): POSTERN_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postern),
// POSTERN_REDIS_URL (default redis://127.0.0.1:6379), POSTERN_DEMO_HTTP_PORT (8080),
// POSTERN_DEMO_GRPC_PORT (8443), POSTERN_DEMO_IDP_PORT (9090), POSTERN_DEMO_AGENT_PG_PORT (6432),
// POSTERN_DEMO_RELAY_PG_PORT (5433), POSTERN_DEMO_DIR (.postern/demo),
// POSTERN_DEMO_AGENT_MYSQL_PORT (6033), POSTERN_DEMO_MARIADB_HOST (127.0.0.1),
// POSTERN_DEMO_MARIADB_PORT (3306), POSTERN_DEMO_MARIADB_ADMIN_USER (root, no password).
// The demo's target is a `postern_demo_shop` database on the same PostgreSQL, with customers,
// emails, card numbers and phone numbers; Postern reaches it as the role `shop_app`, whose password
// only the agent knows (a file the connection's secret reference points to). Its MariaDB twin, when
// MariaDB answers: a `postern_demo_shop` database there with the same data, reached as the MariaDB
// user `shop_app` (its own password file), as the connection `shop-mysql` with the same rules, on
// the agent's MySQL listener (seeded with the `mariadb` CLI, run as the admin user).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { selfSignedCertificate } from '../libs/testing/dist/tls.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const env = process.env;
const databaseUrl = env.POSTERN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postern';
const redisUrl = env.POSTERN_REDIS_URL ?? 'redis://127.0.0.1:6379';
const httpPort = Number(env.POSTERN_DEMO_HTTP_PORT ?? 8080);
const grpcPort = Number(env.POSTERN_DEMO_GRPC_PORT ?? 8443);
const idpPort = Number(env.POSTERN_DEMO_IDP_PORT ?? 9090);
const agentPgPort = Number(env.POSTERN_DEMO_AGENT_PG_PORT ?? 6432);
const relayPgPort = Number(env.POSTERN_DEMO_RELAY_PG_PORT ?? 5433);
const agentMysqlPort = Number(env.POSTERN_DEMO_AGENT_MYSQL_PORT ?? 6033);
const mariadbHost = env.POSTERN_DEMO_MARIADB_HOST ?? '127.0.0.1';
const mariadbPort = Number(env.POSTERN_DEMO_MARIADB_PORT ?? 3306);
const mariadbAdmin = env.POSTERN_DEMO_MARIADB_ADMIN_USER ?? 'root';
const demoDir = resolve(root, env.POSTERN_DEMO_DIR ?? '.postern/demo');
const children = [];

function say(line = '') {
  process.stdout.write(`${line}\n`);
}

function hidePassword(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

async function checkPostgres() {
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1)) || 'postern';
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
      say(`created database ${database}`);
    }
    return null;
  } catch (error) {
    return `PostgreSQL is not reachable at ${hidePassword(maintenance.toString())} (${error.message}).\n  Start it, or set POSTERN_DATABASE_URL to point elsewhere.`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The demo target: a shop database with realistic personal data, and the role Postern uses. */
async function prepareDemoTarget(passwordFile) {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const password = readFileSync(passwordFile, 'utf8').trim();
  try {
    const role = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'shop_app'`);
    const escaped = password.replaceAll("'", "''");
    await client.query(`${role.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE shop_app LOGIN PASSWORD '${escaped}'`);
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'postern_demo_shop'`);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE postern_demo_shop OWNER shop_app');
  } finally {
    await client.end();
  }
  const shopUrl = new URL(databaseUrl);
  shopUrl.pathname = '/postern_demo_shop';
  const shop = new pg.Client({ connectionString: shopUrl.toString() });
  await shop.connect();
  try {
    await shop.query(`
      CREATE TABLE IF NOT EXISTS customers (
        id serial PRIMARY KEY, full_name text NOT NULL, email text NOT NULL, phone text,
        card_number text, iban text, country text, created_at timestamptz DEFAULT now());
      CREATE TABLE IF NOT EXISTS orders (
        id serial PRIMARY KEY, customer_id int REFERENCES customers(id), total_cents int, status text,
        placed_at timestamptz DEFAULT now());
      ALTER TABLE customers OWNER TO shop_app;
      ALTER TABLE orders OWNER TO shop_app;`);
    const { rows } = await shop.query('SELECT count(*)::int AS n FROM customers');
    if (rows[0].n === 0) {
      await shop.query(`
        INSERT INTO customers (full_name, email, phone, card_number, iban, country) VALUES
          ('Ada Lovelace', 'ada@analytical.engine', '+44 20 7946 0018', '4539 1488 0343 6467', 'GB82 WEST 1234 5698 7654 32', 'GB'),
          ('Grace Hopper', 'grace.hopper@navy.example', '+1 202-555-0143', '5555 5555 5555 4444', 'DE89 3704 0044 0532 0130 00', 'US'),
          ('Alan Turing', 'alan@bletchley.example', '+44 1908 640404', '4111 1111 1111 1111', 'FR14 2004 1010 0505 0001 3M02 606', 'GB'),
          ('Katherine Johnson', 'kj@nasa.example', '+1 757-555-0199', '3782 822463 10005', 'NL91 ABNA 0417 1643 00', 'US'),
          ('Margaret Hamilton', 'margaret@apollo.example', '+1 617-555-0123', '6011 1111 1111 1117', 'ES91 2100 0418 4502 0005 1332', 'US');
        INSERT INTO orders (customer_id, total_cents, status)
          SELECT 1 + (g % 5), 500 + (g * 37) % 20000, (ARRAY['paid','shipped','refunded'])[1 + g % 3]
          FROM generate_series(1, 200) g;`);
    }
  } finally {
    await shop.end();
  }
}

/** Runs SQL with the `mariadb` CLI as the MariaDB admin user; resolves with its output. */
function mariadbAdminSql(sql) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'mariadb',
      ['--no-defaults', '--protocol=TCP', '-h', mariadbHost, '-P', String(mariadbPort), '-u', mariadbAdmin, '--batch'],
      { timeout: 30_000 },
      (error, stdout, stderr) => (error ? reject(new Error((stderr || error.message).trim())) : resolve(stdout)),
    );
    child.stdin.end(sql);
  });
}

/**
 * The MariaDB twin of the demo target: the same customers and orders in a `postern_demo_shop`
 * database, and the user `shop_app` Postern logs in as. Null when it is ready, else why not.
 */
async function prepareMysqlTarget(passwordFile) {
  const password = readFileSync(passwordFile, 'utf8').trim().replaceAll("'", "''");
  try {
    await mariadbAdminSql(`
      CREATE DATABASE IF NOT EXISTS postern_demo_shop;
      CREATE USER IF NOT EXISTS 'shop_app'@'127.0.0.1' IDENTIFIED BY '${password}';
      ALTER USER 'shop_app'@'127.0.0.1' IDENTIFIED BY '${password}';
      GRANT ALL ON postern_demo_shop.* TO 'shop_app'@'127.0.0.1';
      USE postern_demo_shop;
      CREATE TABLE IF NOT EXISTS customers (
        id INT AUTO_INCREMENT PRIMARY KEY, full_name VARCHAR(100) NOT NULL, email VARCHAR(100) NOT NULL,
        phone VARCHAR(40), card_number VARCHAR(40), iban VARCHAR(40), country CHAR(2),
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
      CREATE TABLE IF NOT EXISTS orders (
        id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT, total_cents INT, status VARCHAR(20),
        placed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (customer_id) REFERENCES customers(id));
      INSERT INTO customers (full_name, email, phone, card_number, iban, country)
        SELECT * FROM (VALUES
          ('Ada Lovelace', 'ada@analytical.engine', '+44 20 7946 0018', '4539 1488 0343 6467', 'GB82 WEST 1234 5698 7654 32', 'GB'),
          ('Grace Hopper', 'grace.hopper@navy.example', '+1 202-555-0143', '5555 5555 5555 4444', 'DE89 3704 0044 0532 0130 00', 'US'),
          ('Alan Turing', 'alan@bletchley.example', '+44 1908 640404', '4111 1111 1111 1111', 'FR14 2004 1010 0505 0001 3M02 606', 'GB'),
          ('Katherine Johnson', 'kj@nasa.example', '+1 757-555-0199', '3782 822463 10005', 'NL91 ABNA 0417 1643 00', 'US'),
          ('Margaret Hamilton', 'margaret@apollo.example', '+1 617-555-0123', '6011 1111 1111 1117', 'ES91 2100 0418 4502 0005 1332', 'US')
        ) AS seed WHERE NOT EXISTS (SELECT 1 FROM customers);
      INSERT INTO orders (customer_id, total_cents, status)
        SELECT 1 + (seq % 5), 500 + (seq * 37) % 20000, ELT(1 + seq % 3, 'paid', 'shipped', 'refunded')
        FROM seq_1_to_200 WHERE NOT EXISTS (SELECT 1 FROM orders);`);
    return null;
  } catch (error) {
    return `MariaDB is not usable at ${mariadbAdmin}@${mariadbHost}:${mariadbPort} (${error.message.split('\n')[0]}): the demo runs without its MySQL twin`;
  }
}

async function checkRedis() {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return `Redis is not reachable at ${hidePassword(redisUrl)} (${error.message}).\n  Start it, or set POSTERN_REDIS_URL to point elsewhere.`;
  } finally {
    client.disconnect();
  }
}

/** Starts a Node child process; resolves with the first JSON log line that satisfies `ready`. */
function start(name, script, childEnv, ready) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...env, ...childEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const log = join(demoDir, `${name}.log`);
    let buffered = '';
    let done = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      writeFileSync(log, chunk, { flag: 'a' });
      buffered += chunk;
      let i;
      while ((i = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (!done && ready(entry)) {
          done = true;
          resolvePromise(entry);
        }
        if (entry.level === 'fatal' || entry.level === 'error') say(`[${name}] ${entry.msg}`);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      writeFileSync(log, chunk, { flag: 'a' });
      // oidc-provider warns at every start that it runs in development mode: that is the point here.
      const lines = chunk.split('\n').filter((l) => l.trim() && !l.includes('oidc-provider WARNING'));
      for (const line of lines) process.stderr.write(`[${name}] ${line}\n`);
    });
    child.on('exit', (code) => {
      if (!done) reject(new Error(`${name} exited with code ${code}; see ${log}`));
    });
  });
}

async function gql(token, query, variables = {}) {
  const response = await fetch(`http://127.0.0.1:${httpPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

/** The MariaDB twin of `shop`: the connection `shop-mysql` with the same rules, written for MySQL. */
async function mysqlTwin(adminToken, agentId, passwordFile) {
  const { connections } = await gql(adminToken, '{ connections { id name } }');
  const existing = connections.find((c) => c.name === 'shop-mysql');
  if (existing) return existing;
  const created = (
    await gql(adminToken, `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id name } }`, {
      input: {
        name: 'shop-mysql',
        protocol: 'MYSQL',
        agentId,
        targetHost: mariadbHost,
        targetPort: mariadbPort,
        targetDatabase: 'postern_demo_shop',
        targetUser: 'shop_app',
        secretRef: `file:${passwordFile}`,
        tlsMode: 'disable',
      },
    })
  ).createConnection;
  await gql(
    adminToken,
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"] }) { id } }',
    { id: created.id },
  );
  const rule = (kind, input) =>
    gql(adminToken, `mutation($input: Create${kind}Input!) { create${kind}(input: $input) { id } }`, {
      input: { dialect: 'mysql', connectionIds: [created.id], ...input },
    });
  await rule('Guardrail', {
    name: 'no schema changes (MySQL)',
    match: { statementKinds: ['DROP', 'TRUNCATE', 'ALTER'] },
  });
  await rule('Guardrail', { name: 'WHERE required (MySQL)', match: { missingWhere: true } });
  // Each condition of a match must hold: reading and writing server files are two rules.
  await rule('Guardrail', { name: 'no server files (MySQL)', match: { functions: ['load_file'] } });
  await rule('Guardrail', {
    name: 'no file import/export (MySQL)',
    match: { flags: ['loadData', 'serverFile', 'writesFile'] },
  });
  await rule('ApprovalRule', {
    name: 'customer changes (MySQL)',
    approverGroups: ['approvers'],
    timeoutSeconds: 300,
    match: { statementKinds: ['UPDATE', 'DELETE'], relations: ['customers'] },
  });
  await rule('MaskingRule', {
    name: 'card numbers (MySQL)',
    spec: { columns: ['customers.card_number'], style: 'partial' },
  });
  await rule('MaskingRule', {
    name: 'contact details (MySQL)',
    exemptGroups: ['postern-admins'],
    spec: { detectors: ['email', 'phone', 'iban'], style: 'redact' },
  });
  return created;
}

function stopAll() {
  for (const child of children) child.kill('SIGTERM');
}

async function main() {
  mkdirSync(demoDir, { recursive: true, mode: 0o700 });
  const problems = (await Promise.all([checkPostgres(), checkRedis()])).filter(Boolean);
  if (problems.length > 0) {
    for (const problem of problems) say(`✗ ${problem}`);
    process.exit(1);
  }

  const tokenFile = join(demoDir, 'admin-token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
  const adminToken = readFileSync(tokenFile, 'utf8').trim();
  const tls = await selfSignedCertificate(['localhost']);
  const targetPasswordFile = join(demoDir, 'shop-app-password');
  if (!existsSync(targetPasswordFile))
    writeFileSync(targetPasswordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  await prepareDemoTarget(targetPasswordFile);
  const mysqlPasswordFile = join(demoDir, 'shop-app-mysql-password');
  if (!existsSync(mysqlPasswordFile))
    writeFileSync(mysqlPasswordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const mysqlProblem = await prepareMysqlTarget(mysqlPasswordFile);
  if (mysqlProblem) say(`! ${mysqlProblem}`);
  const withMysql = mysqlProblem === null;

  const idp = await start(
    'idp',
    join(root, 'libs/testing/dist/idp/main.js'),
    {
      POSTERN_DEV_IDP_PORT: String(idpPort),
      POSTERN_DEV_IDP_REDIRECT_URIS: `http://127.0.0.1:${httpPort}/auth/callback`,
    },
    (l) => l.msg === 'dev idp listening',
  );
  await start(
    'control-plane',
    join(root, 'apps/control-plane/dist/main.js'),
    {
      POSTERN_DATABASE_URL: databaseUrl,
      POSTERN_REDIS_URL: redisUrl,
      POSTERN_BOOTSTRAP_ADMIN_TOKEN: adminToken,
      POSTERN_HTTP_HOST: '127.0.0.1',
      POSTERN_HTTP_PORT: String(httpPort),
      POSTERN_GRPC_HOST: '127.0.0.1',
      POSTERN_GRPC_PORT: String(grpcPort),
      POSTERN_GRPC_TLS_CERT_FILE: tls.certFile,
      POSTERN_GRPC_TLS_KEY_FILE: tls.keyFile,
      POSTERN_RELAY_POSTGRES_HOST: '127.0.0.1',
      // What `postern connect` is told: the relay's name in its certificate, and the CA to verify it.
      POSTERN_RELAY_PUBLIC_HOST: 'localhost',
      POSTERN_RELAY_TLS_CA_FILE: tls.certFile,
      POSTERN_RELAY_POSTGRES_PORT: String(relayPgPort),
      POSTERN_RELAY_DATA_HOST: '127.0.0.1',
      // Sign-in through the development IdP: browsers (code + PKCE) and the CLI (device flow).
      POSTERN_OIDC_ISSUER: idp.issuer,
      POSTERN_OIDC_CLIENT_ID: idp.clients.dashboard.clientId,
      POSTERN_OIDC_CLIENT_SECRET: idp.clients.dashboard.clientSecret,
      POSTERN_OIDC_AUDIENCE: 'urn:postern:gateway',
      POSTERN_OIDC_REDIRECT_URL: `http://127.0.0.1:${httpPort}/auth/callback`,
      POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
      POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
      POSTERN_ROLE_AUDITOR_GROUPS: 'approvers',
      // Schema explorers work for signed-in people; anonymous callers never see the schema.
      POSTERN_GRAPHQL_INTROSPECTION: 'authenticated',
      // The approvers' dashboard (built by `pnpm build`), served at / on the same origin.
      POSTERN_DASHBOARD_DIR: join(root, 'apps/dashboard/dist'),
      POSTERN_DASHBOARD_URL: `http://127.0.0.1:${httpPort}`,
    },
    (l) => l.msg === 'control plane started',
  );

  const agentState = join(demoDir, 'agent');
  const { agents } = await gql(adminToken, '{ agents { id name status } }');
  let agent = agents.find((a) => a.name === 'demo-agent');
  let enrollmentToken;
  if (!agent) {
    const created = await gql(
      adminToken,
      'mutation { createAgent(input: { name: "demo-agent", labels: [{ key: "env", value: "demo" }] }) { agent { id name } enrollment { token } } }',
    );
    agent = created.createAgent.agent;
    enrollmentToken = created.createAgent.enrollment.token;
  } else if (!existsSync(join(agentState, 'agent-credential'))) {
    enrollmentToken = (
      await gql(adminToken, 'mutation($id: ID!) { createEnrollmentToken(agentId: $id) { token } }', { id: agent.id })
    ).createEnrollmentToken.token;
  }
  await start(
    'agent',
    join(root, 'apps/agent/dist/main.js'),
    {
      POSTERN_CONTROL_PLANE_ADDRESS: `127.0.0.1:${grpcPort}`,
      POSTERN_CONTROL_PLANE_CA_FILE: tls.certFile,
      POSTERN_CONTROL_PLANE_SERVER_NAME: 'localhost',
      POSTERN_AGENT_STATE_DIR: agentState,
      POSTERN_AGENT_POSTGRES_LISTEN: `127.0.0.1:${agentPgPort}`,
      ...(withMysql ? { POSTERN_AGENT_MYSQL_LISTEN: `127.0.0.1:${agentMysqlPort}` } : {}),
      POSTERN_AGENT_TLS_CERT_FILE: tls.certFile,
      POSTERN_AGENT_TLS_KEY_FILE: tls.keyFile,
      // What this agent may reveal, decided by its own configuration (docs/security-model.md).
      POSTERN_AGENT_SECRET_ALLOW: `file:${targetPasswordFile},file:${mysqlPasswordFile}`,
      POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:5432,${mariadbHost}:${mariadbPort}`,
      ...(enrollmentToken ? { POSTERN_ENROLLMENT_TOKEN: enrollmentToken } : {}),
    },
    (l) => l.msg === 'local ingress listening',
  );

  // The demo connection, a user with access, and a credential for psql.
  const { connections } = await gql(adminToken, '{ connections { id name } }');
  let shop = connections.find((c) => c.name === 'shop');
  if (!shop) {
    shop = (
      await gql(
        adminToken,
        `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id name } }`,
        {
          input: {
            name: 'shop',
            protocol: 'POSTGRES',
            agentId: agent.id,
            targetHost: '127.0.0.1',
            targetPort: 5432,
            targetDatabase: 'postern_demo_shop',
            targetUser: 'shop_app',
            secretRef: `file:${targetPasswordFile}`,
            tlsMode: 'prefer',
          },
        },
      )
    ).createConnection;
    await gql(
      adminToken,
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"] }) { id } }',
      { id: shop.id },
    );
    // What Postern is for: guardrails on the parse tree, held statements, masking in flight.
    const rule = (kind, input) =>
      gql(adminToken, `mutation($input: Create${kind}Input!) { create${kind}(input: $input) { id } }`, { input });
    await rule('Guardrail', {
      name: 'no schema changes',
      connectionIds: [shop.id],
      match: { statementKinds: ['DROP', 'TRUNCATE', 'ALTER'] },
    });
    await rule('Guardrail', { name: 'WHERE required', connectionIds: [shop.id], match: { missingWhere: true } });
    await rule('Guardrail', {
      name: 'no server files',
      connectionIds: [shop.id],
      match: { functions: ['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'lo_export', 'lo_import'] },
    });
    await rule('ApprovalRule', {
      name: 'customer changes',
      connectionIds: [shop.id],
      approverGroups: ['approvers'],
      timeoutSeconds: 300,
      match: { statementKinds: ['UPDATE', 'DELETE'], relations: ['customers'] },
    });
    await rule('MaskingRule', {
      name: 'card numbers',
      connectionIds: [shop.id],
      spec: { columns: ['customers.card_number'], style: 'partial' },
    });
    await rule('MaskingRule', {
      name: 'contact details',
      connectionIds: [shop.id],
      exemptGroups: ['postern-admins'],
      spec: { detectors: ['email', 'phone', 'iban'], style: 'redact' },
    });
  }
  const shopMysql = withMysql ? await mysqlTwin(adminToken, agent.id, mysqlPasswordFile) : null;
  const { users } = await gql(adminToken, '{ users { id email } }');
  let alice = users.find((u) => u.email === 'alice@example.com');
  if (!alice) {
    alice = (
      await gql(
        adminToken,
        'mutation { createUser(input: { email: "alice@example.com", displayName: "Alice Engineer", groups: ["engineers"] }) { id email } }',
      )
    ).createUser;
  }
  const minted = (
    await gql(
      adminToken,
      'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 43200 }) { password database credential { expiresAt } } }',
      { c: shop.id, u: alice.id },
    )
  ).mintConnectionCredential;
  const mintedMysql =
    shopMysql === null
      ? null
      : (
          await gql(
            adminToken,
            'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 43200 }) { password } }',
            { c: shopMysql.id, u: alice.id },
          )
        ).mintConnectionCredential;
  const online = await gql(adminToken, 'query($id: ID!) { agent(id: $id) { name status version } }', { id: agent.id });

  say('');
  say(`Dashboard: http://127.0.0.1:${httpPort}/   (sign in as bob to approve, alice to request, carol to administer)`);
  say('');
  say('Postern demo is running.');
  say(`  control plane   http://127.0.0.1:${httpPort}/graphql   (agents: grpcs://127.0.0.1:${grpcPort})`);
  say(`  agent           ${online.agent.name}: ${online.agent.status} (v${online.agent.version})`);
  say(`  OIDC provider   ${idp.issuer}   users: ${idp.users.map((u) => `${u.sub} (${u.role})`).join(', ')}`);
  say(`  admin token     ${tokenFile}`);
  say(`  logs            ${demoDir}/*.log`);
  say('');
  say('Connect with psql as alice (credential valid 12 h; the shop_app password stays on the agent):');
  say(
    `  PGPASSWORD='${minted.password}' psql "host=127.0.0.1 port=${agentPgPort} dbname=shop user=alice@example.com sslmode=require"`,
  );
  say('or through the control plane relay (as a client outside the segment would):');
  say(
    `  PGPASSWORD='${minted.password}' psql "host=127.0.0.1 port=${relayPgPort} dbname=shop user=alice@example.com sslmode=require"`,
  );
  say("  (the user name must be the credential's: its e-mail or IdP subject; anything else is refused with 28000)");
  say('  then try:');
  say('    SELECT full_name, email, phone, card_number, iban FROM customers;  -- masked in flight');
  say('    DROP TABLE orders;                                   -- blocked by "no schema changes" (42501)');
  say('    DELETE FROM orders;                                  -- blocked by "WHERE required"');
  say("    UPDATE customers SET country = 'FR' WHERE id = 1;   -- held until an approver decides");
  say(
    `  approve as bob in the dashboard: http://127.0.0.1:${httpPort}/inbox (the requester never can), or with the postern CLI:`,
  );
  say(`    alias postern="node $PWD/apps/cli/dist/main.js"`);
  say(
    `    POSTERN_PROFILE=bob postern login --issuer ${idp.issuer} --api http://127.0.0.1:${httpPort}   # sign in as bob`,
  );
  say('    POSTERN_PROFILE=bob postern reviews            # what waits (add --watch to keep it live)');
  say('    POSTERN_PROFILE=bob postern approve <review id from the NOTICE> --comment "ok"');
  if (mintedMysql !== null) {
    say('');
    say('The MariaDB twin, with the mariadb CLI as alice (same data, same rules; TLS to the agent):');
    say(
      `  mariadb --ssl --ssl-ca=${tls.certFile} -h 127.0.0.1 -P ${agentMysqlPort} -u alice@example.com --password='${mintedMysql.password}' shop-mysql`,
    );
    say(
      "  (clients that connect without a database, such as mysqldump, name it in the user: -u 'alice@example.com+shop-mysql')",
    );
    say('  then try the same statements: the SELECT is masked, the DROP refused (ERROR 1142), the UPDATE held');
    say('  until bob approves (the mariadb client waits; a rejection comes back as ERROR 1142 with the reason).');
  }
  say('');
  say('  or sign in as alice with the CLI and let it mint the credential and start psql:');
  say(`    postern login --issuer ${idp.issuer} --api http://127.0.0.1:${httpPort} && postern connect shop`);
  say('');
  say('Sign in as a person (users alice, bob, carol; any password in the development IdP):');
  say(`  browser:  http://127.0.0.1:${httpPort}/auth/login`);
  say(
    `  CLI:      node apps/cli/dist/main.js login --issuer ${idp.issuer} && node apps/cli/dist/main.js whoami --api http://127.0.0.1:${httpPort}`,
  );
  say(`  machine:  client "${idp.clients.machine.clientId}" (client credentials), secret in ${demoDir}/idp.log`);
  say('  a database password from the IdP is a token of the data-plane audience (the API refuses it), e.g. as alice:');
  say(
    `    POSTERN_CONFIG_DIR=${demoDir}/cli-db node apps/cli/dist/main.js login --issuer ${idp.issuer} --audience urn:postern:gateway:data-plane`,
  );
  say(
    `    PGPASSWORD=$(POSTERN_CONFIG_DIR=${demoDir}/cli-db node apps/cli/dist/main.js token) psql "host=127.0.0.1 port=${relayPgPort} dbname=shop user=alice sslmode=require"`,
  );
  say('');
  say('Try:');
  say(`  curl -s http://127.0.0.1:${httpPort}/readyz`);
  say(`  curl -s http://127.0.0.1:${httpPort}/graphql -H 'content-type: application/json' \\`);
  say(`    -H "authorization: Bearer $(cat ${tokenFile})" \\`);
  say(
    `    -d '{"query":"{ agents { name status version lastSeenAt } sessions { id principalName connectionName ingress status startedAt endReason statementCount } }"}'`,
  );
  say('  then, signed in as bob (an auditor here): postern sessions, postern replay <id>, postern verify <id>');
  say('');
  say('Ctrl-C stops everything.');
}

process.on('SIGINT', () => {
  stopAll();
  process.exit(0);
});
process.on('SIGTERM', () => {
  stopAll();
  process.exit(0);
});
main().catch((error) => {
  say(`✗ demo failed: ${error.message}`);
  stopAll();
  process.exit(1);
});
