// MySQL/MariaDB through Postern's engine versus direct and a bare Node.js pipe, measured in one run.
//
//   node bench/mysql.mjs [--quick] [--profile] [--name=value …]
//
// Needs the repository built (apps/agent/dist, libs/*/dist), MariaDB on 127.0.0.1:3306 (root, no
// password), Debian's `sysbench` and the `mariadb` client. Sets up a private database and target
// user, sysbench's tables and a 1,000,000-row `stream_rows` table, then starts:
//   - a bare Node.js TCP pipe to MariaDB (bench/node-pipe-proxy.mjs: what any Node.js proxy costs);
//   - the agent's MySQL engine in a process of its own (bench/mysql-gateway.mjs, from
//     apps/agent/dist), with the connection `bench` (no rules: "policy off") and `bench_policy`
//     (guardrails on DROP/TRUNCATE/ALTER, missing WHERE and load_file; masking of sbtest*.c, which
//     every sysbench read returns, and of stream_rows.a/b/c: "policy on"). Recording events are
//     counted in memory, not spooled and shipped as the agent does: that cost is not measured.
// and measures, interleaving configurations in rounds so machine noise hits them alike:
//   1. sysbench oltp_point_select and oltp_read_only (prepared statements, `threads` clients):
//      direct, node pipe, Postern (policy off), Postern (policy on); median transactions/s;
//   2. time to stream `rows` rows with `mariadb --quick`: direct, Postern, Postern masked
//      (3 columns masked); best of `stream_repeats`.
// The load average is recorded with every run (the machine is shared). With --profile the engine
// runs under `node --cpu-prof` and its hottest functions are printed. Results:
// bench/results/mysql-<date>.json and a markdown table on stdout.
//
// Settings (flag --name=value or BENCH_NAME): rounds (3), duration (10 s per sysbench run),
// threads (8), tables (4), table_size (10000), rows (1000000), stream_repeats (3), warmup (5 s per
// configuration before the rounds), results_dir (bench/results). --quick: rounds=1, duration=3,
// rows=100000, stream_repeats=1, warmup=1.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatProfileSummary, summarizeProfile } from './cpuprofile-top.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const flags = new Map(
  process.argv.slice(2).map((arg) => {
    const match = /^--([a-z_-]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      process.stderr.write(`unknown argument ${arg}\n`);
      process.exit(2);
    }
    return [match[1].replaceAll('-', '_'), match[2] ?? '1'];
  }),
);
const quick = (flags.get('quick') ?? process.env.BENCH_QUICK) === '1';
const setting = (name, fallback, quickValue = fallback) =>
  flags.get(name) ?? process.env[`BENCH_${name.toUpperCase()}`] ?? String(quick ? quickValue : fallback);
const int = (name, fallback, quickValue) => {
  const value = Number(setting(name, fallback, quickValue));
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return value;
};
const settings = {
  rounds: Math.max(1, int('rounds', 3, 1)),
  duration: Math.max(1, int('duration', 10, 3)),
  threads: Math.max(1, int('threads', 8)),
  tables: Math.max(1, int('tables', 4)),
  tableSize: Math.max(1, int('table_size', 10_000)),
  rows: Math.max(1, int('rows', 1_000_000, 100_000)),
  streamRepeats: Math.max(1, int('stream_repeats', 3, 1)),
  warmup: int('warmup', 5, 1),
  profile: setting('profile', '0') === '1',
  resultsDir: setting('results_dir', join(ROOT, 'bench/results')),
};
const TARGETS = { localVsPipe: 0.8, policyOnVsOff: 0.9, streamVsDirect: 1.15, maskedVsUnmasked: 1.3 };

const started = performance.now();
const say = (line) =>
  process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const load = () => os.loadavg()[0];
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const cleanups = [];
let cleaning = null;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`cleanup: ${error.message}\n`);
      }
    }
  })());
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

/** Runs a command; resolves with its output (rejects when it fails). */
function run(command, args, input = null) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        // libmariadb loads mysql_clear_password on the first auth switch; sysbench's threads connect
        // at once and race to load it ("it is already loaded", 1045): preload it at library init.
        env: { PATH: process.env.PATH, HOME: os.tmpdir(), TZ: 'UTC', LIBMYSQL_PLUGINS: 'mysql_clear_password' },
        maxBuffer: 16 << 20,
        timeout: 600_000,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${command}: ${error.message}\n${stderr}${stdout.slice(-2000)}`)) : resolve(stdout),
    );
    if (input !== null) child.stdin.end(input);
  });
}

const root = (sql, database = null) =>
  run(
    'mariadb',
    [
      '--no-defaults',
      '--protocol=TCP',
      '-h',
      '127.0.0.1',
      '-P',
      '3306',
      '-u',
      'root',
      '--batch',
      ...(database ? [database] : []),
    ],
    sql,
  );

/** A long-running helper process that prints a JSON line with its port when ready. */
async function service(args, env, readyMsg) {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const message = JSON.parse(line);
        if (message.msg === readyMsg) resolve(message.port);
      } catch {
        // not ours
      }
    });
  });
  return { child, port, exited };
}

// ---------------------------------------------------------------------------------------------

const suffix = randomBytes(4).toString('hex');
const database = `postern_bench_mysql_${suffix}`;
const target = { user: `pt_bench_${suffix}`, password: `bench-Pw-${randomBytes(8).toString('hex')}` };
const credential = { user: 'bench', password: `postern_conn_${randomBytes(12).toString('hex')}` };
const workDir = mkdtempSync(join(os.tmpdir(), 'postern-bench-mysql-'));
cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));

async function setup() {
  say(
    `setup: database ${database}, ${settings.tables}×${settings.tableSize} sysbench rows, ${settings.rows} stream rows`,
  );
  await root(
    `CREATE DATABASE ${database};
     CREATE USER '${target.user}'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('${target.password}');
     GRANT ALL ON ${database}.* TO '${target.user}'@'127.0.0.1';`,
  );
  cleanups.push(() => root(`DROP DATABASE IF EXISTS ${database}; DROP USER IF EXISTS '${target.user}'@'127.0.0.1';`));
  await run('sysbench', [
    'oltp_read_only',
    ...sysbenchTarget({ port: 3306, user: target.user, password: target.password, db: database }),
    `--tables=${settings.tables}`,
    `--table-size=${settings.tableSize}`,
    'prepare',
  ]);
  await root(
    `CREATE TABLE stream_rows (id INT PRIMARY KEY, a VARCHAR(24), b VARCHAR(24), c VARCHAR(24));
     INSERT INTO stream_rows SELECT seq, CONCAT('alpha-', seq), CONCAT('beta-', seq), CONCAT('gamma-', seq) FROM seq_1_to_${settings.rows};`,
    database,
  );
}

function sysbenchTarget({ port, user, password, db }) {
  return [
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    `--mysql-port=${port}`,
    `--mysql-user=${user}`,
    `--mysql-password=${password}`,
    `--mysql-db=${db}`,
  ];
}

async function sysbench(test, config, seconds) {
  const loadBefore = load();
  const output = await run('sysbench', [
    test,
    ...sysbenchTarget(config),
    `--tables=${settings.tables}`,
    `--table-size=${settings.tableSize}`,
    `--threads=${settings.threads}`,
    `--time=${seconds}`,
    '--db-ps-mode=auto',
    'run',
  ]);
  const tps = Number(/transactions:\s+\d+\s+\(([\d.]+) per sec/.exec(output)?.[1]);
  const errors = Number(/ignored errors:\s+(\d+)/.exec(output)?.[1] ?? 0);
  if (!Number.isFinite(tps)) throw new Error(`sysbench ${test} on ${config.name}: no result\n${output}`);
  return { tps, errors, load: Number(((loadBefore + load()) / 2).toFixed(2)) };
}

async function stream(config, sql) {
  const loadBefore = load();
  const t0 = performance.now();
  const lines = await run('sh', [
    '-c',
    `mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P ${config.port} -u '${config.user}' --password='${config.password}' --quick --batch --skip-column-names ${config.db} -e "${sql}" | wc -l`,
  ]);
  const seconds = (performance.now() - t0) / 1000;
  if (Number(lines.trim()) !== settings.rows) throw new Error(`${config.name}: streamed ${lines.trim()} rows`);
  return { seconds: Number(seconds.toFixed(3)), load: Number(((loadBefore + load()) / 2).toFixed(2)) };
}

async function main() {
  await setup();
  const pipe = await service(
    [join(ROOT, 'bench/node-pipe-proxy.mjs'), '0', '127.0.0.1', '3306'],
    {},
    'node pipe proxy listening',
  );
  const profileDir = join(workDir, 'profile');
  const gateway = await service(
    [
      ...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      join(ROOT, 'bench/mysql-gateway.mjs'),
    ],
    {
      MYSQL_GATEWAY_DATABASE: database,
      MYSQL_GATEWAY_TARGET_USER: target.user,
      MYSQL_GATEWAY_TARGET_PASSWORD: target.password,
      MYSQL_GATEWAY_USER: credential.user,
      MYSQL_GATEWAY_CREDENTIAL: credential.password,
      MYSQL_GATEWAY_MASK: 'sbtest*.c,stream_rows.a,stream_rows.b,stream_rows.c',
    },
    'mysql gateway listening',
  );
  const direct = { name: 'direct', port: 3306, user: target.user, password: target.password, db: database };
  const configs = [
    direct,
    { ...direct, name: 'node pipe', port: pipe.port },
    { name: 'Postern local', port: gateway.port, user: credential.user, password: credential.password, db: 'bench' },
    {
      name: 'Postern local, policy on',
      port: gateway.port,
      user: credential.user,
      password: credential.password,
      db: 'bench_policy',
    },
  ];

  const results = { sysbench: {}, stream: {} };
  for (const test of ['oltp_point_select', 'oltp_read_only']) {
    if (settings.warmup > 0) for (const config of configs) await sysbench(test, config, settings.warmup);
    const runs = Object.fromEntries(configs.map((c) => [c.name, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      for (const config of configs) {
        const result = await sysbench(test, config, settings.duration);
        runs[config.name].push(result);
        say(`${test} round ${round} ${config.name}: ${result.tps.toFixed(0)} tps (load ${result.load})`);
      }
    }
    results.sysbench[test] = Object.fromEntries(
      configs.map((c) => [c.name, { tps: median(runs[c.name].map((r) => r.tps)), runs: runs[c.name] }]),
    );
  }

  const sql = 'SELECT id, a, b, c FROM stream_rows';
  const streamConfigs = [direct, configs[2], { ...configs[3], name: 'Postern local, masked (3 columns)' }];
  const streamRuns = Object.fromEntries(streamConfigs.map((c) => [c.name, []]));
  for (let repeat = 1; repeat <= settings.streamRepeats; repeat++) {
    for (const config of streamConfigs) {
      const result = await stream(config, sql);
      streamRuns[config.name].push(result);
      say(`stream ${repeat} ${config.name}: ${result.seconds} s (load ${result.load})`);
    }
  }
  results.stream = Object.fromEntries(
    streamConfigs.map((c) => [
      c.name,
      { seconds: Math.min(...streamRuns[c.name].map((r) => r.seconds)), runs: streamRuns[c.name] },
    ]),
  );

  const ratios = [];
  for (const test of Object.keys(results.sysbench)) {
    const r = results.sysbench[test];
    ratios.push({
      what: `${test}: Postern local / node pipe`,
      value: r['Postern local'].tps / r['node pipe'].tps,
      target: `≥ ${TARGETS.localVsPipe}`,
      met: r['Postern local'].tps / r['node pipe'].tps >= TARGETS.localVsPipe,
    });
    const policy = r['Postern local, policy on'].tps / r['Postern local'].tps;
    ratios.push({
      what: `${test}: policy on / off`,
      value: policy,
      target: `≥ ${TARGETS.policyOnVsOff}`,
      met: policy >= TARGETS.policyOnVsOff,
    });
  }
  const s = results.stream;
  const streamRatio = s['Postern local'].seconds / s.direct.seconds;
  ratios.push({
    what: `${settings.rows} rows: Postern local / direct (time)`,
    value: streamRatio,
    target: `≤ ${TARGETS.streamVsDirect}`,
    met: streamRatio <= TARGETS.streamVsDirect,
  });
  const maskedRatio = s['Postern local, masked (3 columns)'].seconds / s['Postern local'].seconds;
  ratios.push({
    what: `${settings.rows} rows: masked / unmasked (time)`,
    value: maskedRatio,
    target: `≤ ${TARGETS.maskedVsUnmasked}`,
    met: maskedRatio <= TARGETS.maskedVsUnmasked,
  });

  let profile = null;
  if (settings.profile) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) profile = formatProfileSummary(summarizeProfile(join(profileDir, file), 25));
  }

  const lines = [
    '',
    '| sysbench (tx/s, median) | direct | node pipe | Postern local | Postern, policy on |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [test, r] of Object.entries(results.sysbench)) {
    lines.push(`| ${test} | ${configs.map((c) => r[c.name].tps.toFixed(0)).join(' | ')} |`);
  }
  lines.push('', '| stream (s, best) | direct | Postern local | Postern, masked |', '| --- | ---: | ---: | ---: |');
  lines.push(`| ${settings.rows} rows | ${streamConfigs.map((c) => s[c.name].seconds.toFixed(2)).join(' | ')} |`);
  lines.push('', '| ratio | measured | target | met |', '| --- | ---: | ---: | --- |');
  for (const r of ratios) lines.push(`| ${r.what} | ${r.value.toFixed(2)} | ${r.target} | ${r.met ? 'yes' : 'no'} |`);
  const runLoads = [
    ...Object.values(results.sysbench).flatMap((r) => Object.values(r).flatMap((c) => c.runs.map((x) => x.load))),
    ...Object.values(s).flatMap((c) => c.runs.map((x) => x.load)),
  ];
  lines.push(
    '',
    `load average (1 min) during runs: ${Math.min(...runLoads).toFixed(1)}–${Math.max(...runLoads).toFixed(1)} on ${os.cpus().length} cores`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (profile) process.stdout.write(`\nengine CPU profile (whole run):\n${profile}\n`);

  mkdirSync(settings.resultsDir, { recursive: true });
  const file = join(settings.resultsDir, `mysql-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), settings, cores: os.cpus().length, results, ratios, targets: TARGETS }, null, 2)}\n`,
  );
  say(`results: ${file}`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
