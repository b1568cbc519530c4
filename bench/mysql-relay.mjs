// MySQL/MariaDB through Postern's relay and local ingress versus direct and a bare Node.js pipe,
// measured in one run with sysbench (Debian's 1.0.20, libmariadb) `oltp_point_select` — prepared
// statements, so the binary protocol — against the machine's MariaDB.
//
//   node bench/mysql-relay.mjs [--rounds=3] [--duration=10] [--threads=8] [--table_size=10000]
//
// Sets up: a sysbench table in a fresh database (prepared directly), a bare Node.js TCP pipe
// (bench/node-pipe-proxy.mjs, the floor of what a Node.js proxy costs here), and a Postern stack
// (built control plane and agent, libs/testing's startStack, plaintext; relay doors
// `postgres,mysql`; the agent's local MySQL ingress; admission limits raised: every sysbench
// thread is one principal on 127.0.0.1; recording on, no rules). Then runs the four
// configurations interleaved in rounds, so machine noise hits them alike, and prints the median
// transactions per second and the ratios, and the time of one login (mysql2, one after the other). Everything it created is removed at the end.
// Settings: `--name=value` or BENCH_<NAME>.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { startStack, waitFor } = await import(`${ROOT}/libs/testing/dist/index.js`);
const mysql = (await import(`${ROOT}/apps/agent/node_modules/mysql2/promise.js`)).default;

const arg = (name, fallback) => {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return Number(flag ? flag.split('=')[1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback));
};
const ROUNDS = arg('rounds', 3);
const DURATION = arg('duration', 10);
const THREADS = arg('threads', 8);
const TABLE_SIZE = arg('table_size', 10_000);
const LOGINS = arg('logins', 50);

const suffix = randomBytes(4).toString('hex');
const database = `postern_bench_${suffix}`;
const targetUser = { user: `pt_bench_${suffix}`, password: `Bench-${randomBytes(8).toString('hex')}` };
const cleanups = [];
const cleanup = async () => {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch {
      // best effort
    }
  }
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

// libmariadb loads the mysql_clear_password plugin on the first AuthSwitchRequest naming it; when
// sysbench's threads all log in at once they race on that load ("Plugin mysql_clear_password could
// not be loaded: it is already loaded", found here). Preloading it when the library starts avoids
// the race.
const CLIENT_ENV = { PATH: process.env.PATH, LIBMYSQL_PLUGINS: 'mysql_clear_password' };

const run = (program, args) =>
  new Promise((resolve, reject) =>
    execFile(program, args, { maxBuffer: 16 << 20, env: CLIENT_ENV }, (error, stdout, stderr) =>
      error
        ? reject(
            new Error(
              `${program} ${args[0]} failed (${error.message.split('\n')[0].slice(0, 60)}…):\n${stdout}${stderr}`,
            ),
          )
        : resolve(stdout),
    ),
  );

async function root(sql) {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port: 3306,
    user: 'root',
    multipleStatements: true,
  });
  try {
    return (await connection.query(sql))[0];
  } finally {
    await connection.end();
  }
}

/** sysbench oltp_point_select against an endpoint; resolves with transactions per second. */
async function pointSelect({ port, user, password, db }, duration = DURATION) {
  const out = await run('sysbench', [
    'oltp_point_select',
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    `--mysql-port=${port}`,
    `--mysql-user=${user}`,
    `--mysql-password=${password}`,
    `--mysql-db=${db}`,
    '--mysql-ssl=off',
    '--tables=1',
    `--table-size=${TABLE_SIZE}`,
    `--threads=${THREADS}`,
    `--time=${duration}`,
    'run',
  ]);
  const match = /transactions:\s+\d+\s+\(([\d.]+) per sec/.exec(out);
  if (!match) throw new Error(`no transactions in sysbench output:\n${out}`);
  return Number(match[1]);
}

/** Milliseconds per login (connect, authenticate, `SELECT 1`, quit), `count` one after the other. */
async function loginMs({ port, user, password, db }, count = LOGINS) {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const connection = await mysql.createConnection({
      host: '127.0.0.1',
      port,
      user,
      password,
      database: db,
      enableCleartextPlugin: true,
    });
    await connection.query('SELECT 1');
    await connection.end();
  }
  return (performance.now() - started) / count;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  await root(
    `CREATE DATABASE ${database};
     CREATE USER '${targetUser.user}'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('${targetUser.password}');
     GRANT ALL ON ${database}.* TO '${targetUser.user}'@'127.0.0.1';`,
  );
  cleanups.push(() =>
    root(`DROP DATABASE IF EXISTS ${database}; DROP USER IF EXISTS '${targetUser.user}'@'127.0.0.1';`),
  );
  const direct = { port: 3306, user: targetUser.user, password: targetUser.password, db: database };
  await run('sysbench', [
    'oltp_point_select',
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    '--mysql-port=3306',
    `--mysql-user=${targetUser.user}`,
    `--mysql-password=${targetUser.password}`,
    `--mysql-db=${database}`,
    '--tables=1',
    `--table-size=${TABLE_SIZE}`,
    'prepare',
  ]);

  const pipe = spawn(process.execPath, [`${ROOT}/bench/node-pipe-proxy.mjs`, '0', '127.0.0.1', '3306'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => pipe.kill());
  const pipePort = await new Promise((resolve) =>
    pipe.stdout.once('data', (line) => resolve(JSON.parse(String(line)).port)),
  );

  const quiet = { POSTERN_LOG_LEVEL: 'info' };
  const stack = await startStack({
    name: 'postern_bench_mysql',
    controlPlane: {
      env: {
        ...quiet,
        // Production heartbeats: the test tuning (200 ms / 1.5 s) takes a saturated agent for gone.
        POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '10000',
        POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '30000',
        POSTERN_RELAY_PROTOCOLS: 'postgres,mysql',
        POSTERN_RELAY_MYSQL_HOST: '127.0.0.1',
        POSTERN_RELAY_MYSQL_PORT: '0',
        POSTERN_RELAY_CONNECT_RATE_PER_ADDRESS: '100000',
        POSTERN_RELAY_CONNECT_BURST_PER_ADDRESS: '100000',
      },
    },
  });
  cleanups.push(() => stack.stop());
  const relayPort = Number((await stack.cp.process.waitForMessage('mysql relay listening'))['port']);
  const agent = await stack.enrollAgent('bench-mysql', {
    ...quiet,
    POSTERN_AGENT_MYSQL_LISTEN: '127.0.0.1:0',
    BENCH_MYSQL_PASSWORD: targetUser.password,
    POSTERN_AGENT_SECRET_ALLOW: 'env:BENCH_MYSQL_PASSWORD',
    POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
    POSTERN_AGENT_CONNECT_RATE_PER_ADDRESS: '100000',
    POSTERN_AGENT_CONNECT_BURST_PER_ADDRESS: '100000',
    POSTERN_AGENT_MAX_SESSIONS_PER_PRINCIPAL: '100000',
    POSTERN_AGENT_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  });
  const localPort = Number(
    (await agent.process.waitForLog((l) => l.msg === 'local ingress listening' && l['protocol'] === 'mysql'))['port'],
  );
  const admin = async (query, variables = {}) => {
    const response = await stack.cp.admin(query, variables);
    if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
    return response.data;
  };
  const connectionId = (
    await admin('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }', {
      input: {
        name: 'bench-mysql',
        protocol: 'MYSQL',
        agentId: agent.id,
        targetHost: '127.0.0.1',
        targetPort: 3306,
        targetDatabase: database,
        targetUser: targetUser.user,
        secretRef: 'env:BENCH_MYSQL_PASSWORD',
        tlsMode: 'disable',
      },
    })
  ).createConnection.id;
  await admin(
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["bench"], operations: ["read", "write"] }) { id } }',
    { id: connectionId },
  );
  const userId = (
    await admin(
      'mutation { createUser(input: { email: "bench@example.com", displayName: "Bench", groups: ["bench"] }) { id } }',
    )
  ).createUser.id;
  const minted = (
    await admin(
      'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 43200 }) { password } }',
      { c: connectionId, u: userId },
    )
  ).mintConnectionCredential.password;
  const postern = { user: 'bench@example.com', password: minted, db: 'bench-mysql' };
  const configs = {
    direct,
    'node pipe': { ...direct, port: pipePort },
    'postern local': { ...postern, port: localPort },
    'postern relay': { ...postern, port: relayPort },
  };
  await waitFor(() => pointSelect(configs['postern relay'], 1).then(() => true), {
    timeoutMs: 30_000,
    what: 'the credential on the agent',
  });

  const results = Object.fromEntries(Object.keys(configs).map((name) => [name, []]));
  const logins = Object.fromEntries(Object.keys(configs).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, config] of Object.entries(configs)) {
      results[name].push(await pointSelect(config));
      logins[name].push(await loginMs(config));
      console.error(
        `round ${round + 1}: ${name} ${results[name].at(-1)} tps, ${logins[name].at(-1).toFixed(2)} ms/login`,
      );
    }
  }
  const tps = Object.fromEntries(Object.entries(results).map(([name, values]) => [name, median(values)]));
  console.log(`\nsysbench oltp_point_select, ${THREADS} threads, ${DURATION} s, median of ${ROUNDS} rounds\n`);
  console.log(`(and ${LOGINS} logins one after the other with mysql2: connect, SELECT 1, quit)\n`);
  console.log('| configuration | tps | × direct | × node pipe | ms per login |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, value] of Object.entries(tps)) {
    console.log(
      `| ${name} | ${value.toFixed(0)} | ${(value / tps.direct).toFixed(2)} | ${(value / tps['node pipe']).toFixed(2)} | ${median(logins[name]).toFixed(2)} |`,
    );
  }
} finally {
  await cleanup();
}
