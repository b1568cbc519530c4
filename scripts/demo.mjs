// `pnpm demo`: the whole product on one machine — a development OIDC provider, the control plane
// (TLS for agents), and one enrolled agent — then prints what to do next. Ctrl-C stops it all.
//
// Settings (environment): POSTERN_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postern),
// POSTERN_REDIS_URL (default redis://127.0.0.1:6379), POSTERN_DEMO_HTTP_PORT (8080),
// POSTERN_DEMO_GRPC_PORT (8443), POSTERN_DEMO_IDP_PORT (9090), POSTERN_DEMO_DIR (.postern/demo).
import { spawn } from 'node:child_process';
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
      process.stderr.write(`[${name}] ${chunk}`);
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

  const idp = await start(
    'idp',
    join(root, 'libs/testing/dist/idp/main.js'),
    { POSTERN_DEV_IDP_PORT: String(idpPort) },
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
      ...(enrollmentToken ? { POSTERN_ENROLLMENT_TOKEN: enrollmentToken } : {}),
    },
    (l) => l.msg === 'connected to control plane',
  );
  const online = await gql(adminToken, 'query($id: ID!) { agent(id: $id) { name status version } }', { id: agent.id });

  say('');
  say('Postern demo is running.');
  say(`  control plane   http://127.0.0.1:${httpPort}/graphql   (agents: grpcs://127.0.0.1:${grpcPort})`);
  say(`  agent           ${online.agent.name}: ${online.agent.status} (v${online.agent.version})`);
  say(`  OIDC provider   ${idp.issuer}   users: ${idp.users.map((u) => `${u.sub} (${u.role})`).join(', ')}`);
  say(`  admin token     ${tokenFile}`);
  say(`  logs            ${demoDir}/*.log`);
  say('');
  say('Try:');
  say(`  curl -s http://127.0.0.1:${httpPort}/readyz`);
  say(`  curl -s http://127.0.0.1:${httpPort}/graphql -H 'content-type: application/json' \\`);
  say(`    -H "authorization: Bearer $(cat ${tokenFile})" \\`);
  say(`    -d '{"query":"{ agents { name status version lastSeenAt } }"}'`);
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
