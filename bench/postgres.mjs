// PostgreSQL through Postern versus direct and pgbouncer, measured in one run.
//
//   node bench/postgres.mjs [--quick] [--no-tls] [--profile | --no-profile] [--keep] [--name=value …]
//
// Sets everything up itself on a machine like the CI machines (PostgreSQL on 127.0.0.1:5432 with
// trust auth, Redis on 6379, pgbench/psql, pgbouncer from Debian, the repository built): a scale-10
// pgbench database, a pgbouncer in session mode, and two Postern stacks (built control plane and
// agent as child processes, each with a fresh control-plane database): one in plaintext, one with
// TLS everywhere. The plaintext stack has a second connection to the same database, `bench_policy`,
// with guardrails and masking rules scoped to it alone ("policy on"; recording is always on).
// Then it measures, interleaving configurations in rounds so machine noise hits them alike:
//   1. pgbench -S throughput: direct, pgbouncer, Postern local ingress (policy off and on),
//      Postern relay (median of the rounds), and one round of local ingress and relay with TLS;
//   2. pgbench -S -M extended: local ingress (policy off and on) versus pgbouncer;
//   3. time to stream 1,000,000 rows with psql: direct, local ingress, relay (best of 3);
//   4. agent memory per idle session (VmRSS before/after opening 200 idle sessions);
//   5. new sessions per second (pgbench -C): direct, pgbouncer, local ingress;
//   6. masked stream: 1,000,000 rows with 3 columns masked (policy on) versus the same query
//      unmasked (policy off), both through the local ingress (best of 3);
//   7. latency at fixed rates (pgbench -R 1000 and 5000, every transaction logged): p50/p99 of
//      direct, pgbouncer, local ingress and relay, and what each adds to direct;
// and, when a target is missed (or with --profile), profiles the agent with `node --cpu-prof`
// during one local-ingress pgbench run. Results: bench/results/postgres-<date>.json and a
// markdown table on stdout. Everything it created is removed at the end, on failure and on Ctrl-C.
//
// Settings: a flag `--name=value` or the environment variable BENCH_NAME (flag wins):
//   rounds (3)          rounds of the pgbench -S comparison
//   duration (10)       seconds per pgbench run (-T)
//   clients (8)         pgbench clients (-c)
//   threads (2)         pgbench threads (-j)
//   scale (10)          pgbench scale factor of the prepared database
//   rows (1000000)      rows streamed by psql (stream and masked-stream)
//   stream_repeats (3)  psql streaming runs per configuration, stream and masked-stream (best
//                       is reported)
//   idle_sessions (200) idle sessions opened for the memory measurement
//   idle_steps (3)      steps of idle_sessions sessions; the measurement is the slope of VmRSS
//                       over the sessions open after each step (least squares)
//   settle (8)          seconds the agent is left alone before each VmRSS reading
//   warmup (2)          seconds of pgbench per configuration before the first round (0 = none)
//   tls (1)             0 skips the TLS stack and its round
//   profile (auto)      auto (when a target is missed), always, never
//   profile_duration (5) seconds of each profiled pgbench run
//   profile_runs (all)  comma-separated profiled runs to make (local-select, local-connect,
//                       local-stream, local-policy-select, local-masked-stream, relay-select)
//   node_pipe (1)       0 leaves out the reference "bare Node.js TCP pipe" configuration
//   policy (1)          0 leaves out the policy-on configuration (and the masked stream)
//   log_level (info)    Postern processes' POSTERN_LOG_LEVEL (info is the production default)
//   pg_url (postgresql://postgres@127.0.0.1:5432/postgres)   the machine PostgreSQL (trust auth)
//   redis_url (redis://127.0.0.1:6379)
//   results_dir (bench/results)
//   only (all)          comma-separated phases to run:
//                       memory,select,extended,stream,connect,masked-stream,latency
//   latency_rates (1000,5000) transactions/s of the latency phase
//   commit              the commit to report when ROOT is not a git checkout (an export)
//   keep (0)            1 keeps the temp dir (process logs) and prints where it is
//   hold (0)            1 (or --hold) sets everything up, prints the endpoints and waits for
//                       Ctrl-C without measuring: for profiling or trying clients by hand
// --quick: rounds=1, duration=3, scale=1, rows=100000, stream_repeats=1, idle_sessions=50,
// warmup=1 (a smoke test of the benchmark itself, not a measurement).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { formatProfileSummary, summarizeProfile } from './cpuprofile-top.mjs';

/** The benchmark user's login name: Postern refuses a user name that is not the credential's (its e-mail). */
const BENCH_LOGIN = 'bench@example.com';
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CONTROL_PLANE_MAIN = join(ROOT, 'apps/control-plane/dist/main.js');
const AGENT_MAIN = join(ROOT, 'apps/agent/dist/main.js');
const TESTING = join(ROOT, 'libs/testing/dist/index.js');

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  const header = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0];
  process.stdout.write(`${header.replace(/^\/\/ ?/gm, '')}\n`);
  process.exit(0);
}
const flags = new Map();
for (const arg of argv) {
  const match = /^--([a-z_-]+)(?:=(.*))?$/.exec(arg);
  if (!match) {
    process.stderr.write(`unknown argument ${arg} (try --help)\n`);
    process.exit(2);
  }
  const name = match[1].replaceAll('-', '_');
  if (name === 'no_tls') flags.set('tls', '0');
  else if (name === 'no_profile') flags.set('profile', 'never');
  else if (name === 'profile' && match[2] === undefined) flags.set('profile', 'always');
  else flags.set(name, match[2] ?? '1');
}
const quick = (flags.get('quick') ?? process.env.BENCH_QUICK) === '1';
function setting(name, fallback, quickValue = fallback) {
  return flags.get(name) ?? process.env[`BENCH_${name.toUpperCase()}`] ?? (quick ? quickValue : fallback);
}
function intSetting(name, fallback, quickValue) {
  const raw = setting(name, String(fallback), quickValue === undefined ? undefined : String(quickValue));
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} must be a non-negative integer (got ${JSON.stringify(raw)})\n`);
    process.exit(2);
  }
  return value;
}
const settings = {
  quick,
  rounds: Math.max(1, intSetting('rounds', 3, 1)),
  duration: Math.max(1, intSetting('duration', 10, 3)),
  clients: Math.max(1, intSetting('clients', 8)),
  threads: Math.max(1, intSetting('threads', 2)),
  scale: Math.max(1, intSetting('scale', 10, 1)),
  rows: Math.max(1, intSetting('rows', 1_000_000, 100_000)),
  streamRepeats: Math.max(1, intSetting('stream_repeats', 3, 1)),
  idleSessions: Math.max(1, intSetting('idle_sessions', 200, 50)),
  settle: intSetting('settle', 8, 3),
  idleSteps: Math.max(1, intSetting('idle_steps', 3, 1)),
  warmup: intSetting('warmup', 2, 1),
  tls: setting('tls', '1') !== '0',
  profile: setting('profile', 'auto'),
  logLevel: setting('log_level', 'info'),
  pgUrl: setting('pg_url', 'postgresql://postgres@127.0.0.1:5432/postgres'),
  redisUrl: setting('redis_url', 'redis://127.0.0.1:6379'),
  resultsDir: setting('results_dir', join(ROOT, 'bench/results')),
  keep: setting('keep', '0') === '1',
  hold: setting('hold', '0') === '1',
  profileDuration: Math.max(1, intSetting('profile_duration', 5, 2)),
  profileRuns: setting('profile_runs', null)
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean),
  nodePipe: setting('node_pipe', '1') !== '0',
  latencyRates: setting('latency_rates', '1000,5000')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0),
  policy: setting('policy', '1') !== '0',
  commit: setting('commit', null),
};
if (!['auto', 'always', 'never'].includes(settings.profile)) {
  process.stderr.write('profile must be auto, always or never\n');
  process.exit(2);
}
const PHASES = ['memory', 'select', 'extended', 'stream', 'connect', 'masked-stream', 'latency'];
const only = setting('only', PHASES.join(','))
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const phase of only) {
  if (!PHASES.includes(phase)) {
    process.stderr.write(`only: unknown phase ${phase} (phases: ${PHASES.join(', ')})\n`);
    process.exit(2);
  }
}
if (only.includes('masked-stream') && !settings.policy && setting('only', null) !== null) {
  process.stderr.write('only: masked-stream needs the policy-on configuration (policy=1)\n');
  process.exit(2);
}
settings.only = only;
/** Whether a measurement phase runs (`only`, default all). */
function wanted(phase) {
  return only.includes(phase);
}
const pgAdmin = new URL(settings.pgUrl);
const PG_HOST = pgAdmin.hostname || '127.0.0.1';
const PG_PORT = Number(pgAdmin.port || 5432);
const PG_USER = decodeURIComponent(pgAdmin.username || 'postgres');

const TARGETS = {
  localVsPgbouncer: 1.0,
  relayVsPgbouncer: 0.6,
  streamVsDirect: 1.15,
  idleSessionKiB: 100,
  newSessionsPerSecond: 500,
  localPolicyVsPgbouncer: 0.9,
  maskedStreamVsUnmasked: 1.3,
};

/**
 * The policy-on configuration: rules scoped to the connection `bench_policy` only, so that the
 * other configurations run without policy. pgbench does not check the values it reads, so a
 * masked `abalance` (an int4: masked to NULL) costs it nothing but puts every pgbench -S result
 * through maskDataRow.
 */
const POLICY = {
  connection: 'bench_policy',
  guardrails: [
    { name: 'bench-no-ddl', match: { statementKinds: ['DROP', 'TRUNCATE', 'ALTER'] } },
    { name: 'bench-no-unfiltered-writes', match: { missingWhere: true } },
    { name: 'bench-no-server-files', match: { functions: ['pg_read_file', 'lo_export'] } },
  ],
  maskingRules: [
    {
      name: 'bench-balances',
      spec: {
        columns: ['pgbench_accounts.abalance', 'public.pgbench_tellers.tbalance', 'pgbench_*.bbalance'],
        style: 'redact',
      },
    },
    // The masked stream's computed columns: no table, so unqualified patterns match their labels.
    { name: 'bench-stream-columns', spec: { columns: ['c1', 'c2', 'c3'], style: 'redact' } },
    { name: 'bench-detectors', spec: { detectors: ['email', 'payment_card'], style: 'redact' } },
  ],
};

// ---------------------------------------------------------------------------------------------
// Output, processes, cleanup

const started = performance.now();
function say(line) {
  const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stdout.write(`[${t}s] ${line}\n`);
}

const cleanups = [];
const transient = new Set();
let cleaning;
function onCleanup(what, fn) {
  cleanups.push({ what, fn });
}
function cleanup() {
  cleaning ??= (async () => {
    for (const child of transient) child.kill('SIGTERM');
    for (const { what, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`cleanup: ${what}: ${error.message}\n`);
      }
    }
  })();
  return cleaning;
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    if (cleaning) {
      process.stderr.write(`${signal} again: exiting without finishing the cleanup\n`);
      process.exit(code);
    }
    process.stderr.write(`\n${signal}: stopping and cleaning up…\n`);
    void cleanup().finally(() => process.exit(code));
  });
}

/** The environment of every child: nothing inherited but PATH, so runs are reproducible. */
function baseEnv(extra = {}) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), TZ: 'UTC', LANG: 'C.UTF-8', ...extra };
}

/** Runs a short-lived command; resolves with its output and exit code, whatever they are. */
function run(command, args, { env = {}, timeoutMs = 120_000 } = {}) {
  // Once cleanup has begun (Ctrl-C), nothing new starts: the measurement in progress fails and
  // main() unwinds while the cleanup runs.
  if (cleaning) return Promise.reject(new Error('stopping'));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    transient.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      transient.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      transient.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** A long-running process (control plane, agent, pgbouncer) whose output goes to a log file. */
class Service {
  constructor(name, command, args, { env, logFile, detached = false }) {
    this.name = name;
    this.logFile = logFile;
    this.detached = detached;
    if (cleaning) throw new Error('stopping');
    const fd = openSync(logFile, 'a');
    this.child = spawn(command, args, { env, stdio: ['ignore', fd, fd], detached });
    closeSync(fd);
    this.pid = this.child.pid;
    this.exitInfo = null;
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
    this.child.on('error', (error) => {
      this.exitInfo ??= { code: null, signal: null, error: error.message };
    });
  }

  get running() {
    return this.exitInfo === null;
  }

  logLines() {
    if (!existsSync(this.logFile)) return [];
    const lines = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line));
      } catch {
        // a partial last line
      }
    }
    return lines;
  }

  tail(n = 15) {
    if (!existsSync(this.logFile)) return '(no output)';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  }

  async waitForMessage(msg, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logLines().find((line) => line.msg === msg);
      if (found) return found;
      if (!this.running) throw new Error(`${this.name} exited before "${msg}":\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no "${msg}" within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(100);
    }
  }

  signal(signal) {
    if (!this.running) return;
    try {
      if (this.detached) process.kill(-this.pid, signal);
      else this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  async stop(timeoutMs = 10_000) {
    if (!this.running) return this.exitInfo;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * libs/testing, built: the helpers, the control-plane and agent environments and the GraphQL
 * client the test suites use, rather than copies of them here. Loaded once preflight() has made
 * sure the repository is built.
 */
let testing;
const freePort = () => testing.freePort();
const waitUntil = (what, check, timeoutMs = 30_000) => testing.waitFor(check, { what, timeoutMs, intervalMs: 200 });

async function adminQuery(sql, database = pgAdmin.pathname.slice(1) || 'postgres') {
  const url = new URL(settings.pgUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Environment checks and machine facts

function commandExists(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function firstLine(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return null;
  }
}

async function preflight() {
  for (const tool of ['psql', 'pgbench', 'runuser']) {
    if (!commandExists(tool))
      throw new Error(`${tool} is not installed (Debian: apt-get install -y postgresql-client)`);
  }
  if (!commandExists('pgbouncer')) {
    if (process.getuid?.() !== 0 || !commandExists('apt-get')) {
      throw new Error('pgbouncer is not installed: apt-get install -y pgbouncer');
    }
    say('pgbouncer is missing: apt-get install -y pgbouncer');
    const install = await run('apt-get', ['install', '-y', 'pgbouncer'], {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 300_000,
    });
    if (install.code !== 0) throw new Error(`apt-get install pgbouncer failed:\n${install.stderr.slice(-2000)}`);
  }
  if (!firstLine('id', ['-u', 'postgres'])) throw new Error('no "postgres" system user to run pgbouncer as');
  for (const file of [CONTROL_PLANE_MAIN, AGENT_MAIN, TESTING]) {
    if (!existsSync(file)) {
      say(`${relative(ROOT, file)} is missing: building the repository (pnpm build)`);
      const build = await run('pnpm', ['build'], { env: { HOME: os.homedir() }, timeoutMs: 600_000 });
      if (build.code !== 0) throw new Error(`pnpm build failed:\n${(build.stdout + build.stderr).slice(-3000)}`);
      break;
    }
  }
  try {
    await adminQuery('select 1');
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${settings.pgUrl} (${error.message}); set BENCH_PG_URL`);
  }
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${settings.redisUrl} (${error.message}); set BENCH_REDIS_URL`);
  } finally {
    redis.disconnect();
  }
}

async function machineFacts() {
  const { rows } = await adminQuery(`select version() as version, current_setting('server_version') as server_version,
      current_setting('max_connections') as max_connections, current_setting('ssl') as ssl`);
  const cpus = os.cpus();
  const gitEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  const git = (args) => {
    try {
      return execFileSync('git', args, {
        cwd: ROOT,
        encoding: 'utf8',
        env: gitEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return null;
    }
  };
  const porcelain = git(['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no']);
  return {
    machine: {
      nproc: os.availableParallelism(),
      cpuModel: cpus[0]?.model ?? null,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      kernel: `${os.type()} ${os.release()}`,
      loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
      postgres: rows[0].server_version,
      postgresVersion: rows[0].version,
      postgresMaxConnections: Number(rows[0].max_connections),
      postgresSsl: rows[0].ssl,
      pgbench: firstLine('pgbench', ['--version']),
      pgbouncer: firstLine('pgbouncer', ['--version']),
    },
    git: {
      commit: git(['rev-parse', '--short', 'HEAD'])?.trim() ?? settings.commit ?? null,
      // Tracked files modified in the working tree when the benchmark ran (the build measured).
      modifiedTrackedFiles: porcelain === null ? null : porcelain.split('\n').filter(Boolean).length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Setup: databases, pgbouncer, Postern stacks

const RUN_ID = randomBytes(4).toString('hex');

async function createDatabase(name) {
  await adminQuery(`CREATE DATABASE "${name}"`);
  onCleanup(`drop database ${name}`, () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  const url = new URL(settings.pgUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function preparePgbenchDatabase(db) {
  const r = await run(
    'pgbench',
    ['-i', '-q', '-s', String(settings.scale), '-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, db.name],
    { env: { PGSSLMODE: 'disable' }, timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`pgbench -i failed:\n${r.stderr.slice(-2000)}`);
}

/** pgbouncer as the postgres user, from a config in a directory that user can read and write. */
async function startPgbouncer(workdir, benchDb) {
  const dir = join(workdir, 'pgbouncer');
  mkdirSync(dir);
  const uid = Number(firstLine('id', ['-u', 'postgres']));
  const gid = Number(firstLine('id', ['-g', 'postgres']));
  chmodSync(workdir, 0o755);
  chownSync(dir, uid, gid);
  const port = await freePort();
  const server = `host=${PG_HOST} port=${PG_PORT} dbname=${benchDb.name} user=${PG_USER}`;
  const config = [
    '[databases]',
    // Session pooling, the baseline: one server connection per client, like Postern.
    `bench = ${server}`,
    // Transaction pooling, only as the *target* of the idle-session memory test, so that 200
    // idle Postern sessions do not need 200 PostgreSQL backends (max_connections is 100 here).
    `bench_tx = ${server} pool_mode=transaction pool_size=4`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    'pool_mode = session',
    'max_client_conn = 2000',
    'default_pool_size = 40',
    'server_tls_sslmode = disable',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), config, { mode: 0o644 });
  writeFileSync(join(dir, 'userlist.txt'), `"${PG_USER}" ""\n`, { mode: 0o644 });
  const service = new Service(
    'pgbouncer',
    'runuser',
    ['-u', 'postgres', '--', 'pgbouncer', join(dir, 'pgbouncer.ini')],
    { env: baseEnv(), logFile: join(workdir, 'pgbouncer.out'), detached: true },
  );
  onCleanup('stop pgbouncer', async () => {
    await service.stop(5_000);
    // runuser forwards SIGTERM; if pgbouncer survived anyway, end it by its own pid.
    const pidFile = join(dir, 'pgbouncer.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone, as expected
        }
      }
    }
  });
  await waitUntil('pgbouncer to accept connections', async () => {
    if (!service.running) throw new Error(`pgbouncer exited: ${service.tail()}`);
    const r = await run('psql', [`host=127.0.0.1 port=${port} dbname=bench user=${PG_USER}`, '-XAtc', 'select 1'], {
      env: { PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '2' },
      timeoutMs: 5_000,
    });
    return r.code === 0;
  });
  const pidFile = join(dir, 'pgbouncer.pid');
  const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || null : null);
  return { port, service, pid };
}

/** The reference bare Node.js relay (bench/node-pipe-proxy.mjs) in front of PostgreSQL. */
async function startNodePipe(workdir) {
  const port = await freePort();
  const service = new Service(
    'node pipe proxy',
    process.execPath,
    [join(ROOT, 'bench/node-pipe-proxy.mjs'), String(port), PG_HOST, String(PG_PORT)],
    { env: baseEnv(), logFile: join(workdir, 'node-pipe-proxy.log') },
  );
  onCleanup('stop the node pipe proxy', () => service.stop());
  await service.waitForMessage('node pipe proxy listening', 10_000);
  return { port, service };
}

/**
 * A control plane and an agent as child processes, enrolled, with a connection `bench` to the
 * pgbench database (and, for the plaintext stack, `bench_pool` to pgbouncer's transaction pool),
 * an access rule, a user and a credential for each connection.
 */
async function startStack(kind, workdir, benchDb, bouncer, tls) {
  const dir = join(workdir, kind);
  mkdirSync(dir);
  const cpDb = await createDatabase(`postern_bench_cp_${kind}_${RUN_ID}`);
  const [httpPort, grpcPort, relayPort, agentPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const adminToken = randomBytes(32).toString('base64url');
  const redisPrefix = `postern-bench-${RUN_ID}-${kind}`;
  onCleanup(`delete Redis keys ${redisPrefix}:*`, () => deleteRedisKeys(redisPrefix));
  const cpEnv = baseEnv(
    testing.controlPlaneEnv({
      databaseUrl: cpDb.url,
      redisPrefix,
      adminToken,
      httpPort,
      grpcPort,
      relayPort,
      ...(tls ? { tls } : {}),
      env: {
        POSTERN_REDIS_URL: settings.redisUrl,
        POSTERN_SHUTDOWN_GRACE_MS: '2000',
        POSTERN_LOG_LEVEL: settings.logLevel,
      },
    }),
  );
  const stack = { kind, dir, cpEnv, cpDb, httpPort, grpcPort, relayPort, agentPort, cp: null, agent: null };
  onCleanup(`stop ${kind} control plane`, () => stack.cp?.stop());
  await startControlPlane(stack);

  const gql = async (query, variables = {}) => {
    const body = await testing.graphql(`http://127.0.0.1:${httpPort}/graphql`, query, variables, adminToken);
    if (body.errors) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
    return body.data;
  };

  const created = await gql(
    `mutation { createAgent(input: { name: "bench-${kind}" }) { agent { id } enrollment { token } } }`,
  );
  const agentEnv = baseEnv(
    testing.agentEnv({
      controlPlaneAddress: `127.0.0.1:${grpcPort}`,
      stateDir: join(dir, 'agent-state'),
      ...(tls ? { caFile: tls.certFile } : {}),
      env: {
        POSTERN_AGENT_POSTGRES_LISTEN: `127.0.0.1:${agentPort}`,
        POSTERN_LOG_LEVEL: settings.logLevel,
        POSTERN_SHUTDOWN_GRACE_MS: '2000',
        POSTERN_BENCH_TARGET_PASSWORD: 'unused-with-trust-auth',
        // Admission limits off: every client here is 127.0.0.1 and one principal, and the memory and
        // session-rate phases open sessions far faster and in far greater numbers than they allow.
        POSTERN_AGENT_CONNECT_RATE_PER_ADDRESS: '100000',
        POSTERN_AGENT_CONNECT_BURST_PER_ADDRESS: '100000',
        POSTERN_AGENT_MAX_SESSIONS_PER_PRINCIPAL: '100000',
        POSTERN_AGENT_MAX_CONNECTIONS_PER_ADDRESS: '100000',
        POSTERN_AGENT_SECRET_ALLOW: 'env:POSTERN_BENCH_TARGET_PASSWORD',
        POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
        // The agent's own ingress TLS, with the control plane's certificate.
        ...(tls ? { POSTERN_AGENT_TLS_CERT_FILE: tls.certFile, POSTERN_AGENT_TLS_KEY_FILE: tls.keyFile } : {}),
      },
    }),
  );
  Object.assign(stack, { gql, agentEnv });
  await startAgent(stack, { POSTERN_ENROLLMENT_TOKEN: created.createAgent.enrollment.token });
  onCleanup(`stop ${kind} agent`, () => stack.agent?.stop());

  const agentId = created.createAgent.agent.id;
  const userId = (await gql(`mutation { createUser(input: { email: "${BENCH_LOGIN}", groups: ["bench"] }) { id } }`))
    .createUser.id;
  const addConnection = async (name, host, port, database) => {
    const id = (
      await gql('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }', {
        input: {
          name,
          protocol: 'POSTGRES',
          agentId,
          targetHost: host,
          targetPort: port,
          targetDatabase: database,
          targetUser: PG_USER,
          secretRef: 'env:POSTERN_BENCH_TARGET_PASSWORD',
          tlsMode: 'disable',
        },
      })
    ).createConnection.id;
    await gql(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["bench"], operations: ["read", "write"] }) { id } }',
      { id },
    );
    const { password } = (
      await gql(
        'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 43200 }) { password } }',
        { c: id, u: userId },
      )
    ).mintConnectionCredential;
    return { id, password };
  };
  stack.addConnection = addConnection;
  stack.password = (await addConnection('bench', PG_HOST, PG_PORT, benchDb.name)).password;
  if (bouncer) stack.poolPassword = (await addConnection('bench_pool', '127.0.0.1', bouncer.port, 'bench_tx')).password;
  const sslmode = tls ? 'require' : 'disable';
  for (const [port, where] of [
    [agentPort, 'local ingress'],
    [relayPort, 'relay'],
  ]) {
    await waitUntil(`the ${kind} stack's ${where} to admit the credential`, async () => {
      const r = await run(
        'psql',
        [`host=127.0.0.1 port=${port} dbname=bench user=${BENCH_LOGIN} sslmode=${sslmode}`, '-XAtc', 'select 1'],
        { env: { PGPASSWORD: stack.password, PGCONNECT_TIMEOUT: '5' }, timeoutMs: 10_000 },
      );
      return r.code === 0;
    });
  }
  return stack;
}

/**
 * The policy-on configuration on the plaintext stack: connection `bench_policy` to the same
 * database with its own credential and POLICY's rules scoped to it. Waits until the agent
 * enforces them (rules reach it asynchronously): a guarded statement refused, a column masked.
 * Needs the pgbench tables.
 */
async function addPolicyConnection(stack, benchDb) {
  const { id, password } = await stack.addConnection(POLICY.connection, PG_HOST, PG_PORT, benchDb.name);
  for (const rule of POLICY.guardrails) {
    await stack.gql('mutation($input: CreateGuardrailInput!) { createGuardrail(input: $input) { id } }', {
      input: { ...rule, connectionIds: [id], groups: [] },
    });
  }
  for (const rule of POLICY.maskingRules) {
    await stack.gql('mutation($input: CreateMaskingRuleInput!) { createMaskingRule(input: $input) { id } }', {
      input: { ...rule, connectionIds: [id], exemptGroups: [] },
    });
  }
  const psql = (sql) =>
    run(
      'psql',
      [
        `host=127.0.0.1 port=${stack.agentPort} dbname=${POLICY.connection} user=${BENCH_LOGIN}`,
        '-XAt',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      { env: { PGSSLMODE: 'disable', PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' }, timeoutMs: 10_000 },
    );
  // Harmless if it runs: the table does not exist.
  const guarded = 'drop table if exists postern_bench_absent';
  const masked = "select 'visible'::text as c1, abalance from pgbench_accounts where aid = 1";
  let refusal = '';
  let row = '';
  await waitUntil(`the agent to enforce the ${POLICY.connection} rules`, async () => {
    const [g, m] = [await psql(guarded), await psql(masked)];
    refusal = g.stderr.trim().split('\n')[0];
    row = m.stdout.trim();
    return g.code !== 0 && m.code === 0 && row === '********|';
  });
  say(`  policy on (${POLICY.connection}): "${guarded}" → ${refusal}; "${masked}" → ${row}`);
  return password;
}

async function startControlPlane(stack, nodeArgs = []) {
  const cp = new Service(`control plane (${stack.kind})`, process.execPath, [...nodeArgs, CONTROL_PLANE_MAIN], {
    env: stack.cpEnv,
    logFile: join(stack.dir, `control-plane${nodeArgs.length ? '-profiled' : ''}.log`),
  });
  stack.cp = cp;
  await cp.waitForMessage('control plane started', 90_000);
  return cp;
}

async function startAgent(stack, extraEnv = {}, nodeArgs = []) {
  const agent = new Service(`agent (${stack.kind})`, process.execPath, [...nodeArgs, AGENT_MAIN], {
    env: { ...stack.agentEnv, ...extraEnv },
    logFile: join(stack.dir, `agent${nodeArgs.length ? '-profiled' : ''}.log`),
  });
  stack.agent = agent;
  await agent.waitForMessage('local ingress listening', 30_000);
  await agent.waitForMessage('connected to control plane', 30_000);
  return agent;
}

async function deleteRedisKeys(prefix) {
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

/** Where a client connects: what pgbench and psql need, and what the report calls it. */
function endpoint(label, port, database, user, password, sslmode = 'disable') {
  return { label, host: '127.0.0.1', port, database, user, password, sslmode };
}

function clientEnv(target) {
  return {
    PGSSLMODE: target.sslmode,
    PGCONNECT_TIMEOUT: '10',
    ...(target.password ? { PGPASSWORD: target.password } : {}),
  };
}

const runs = [];
const errors = [];

// CPU time of the proxies during each run, from /proc (user and system separately): what a
// transaction costs the proxy, and how busy the whole machine was.
const CLOCK_TICKS = Number(firstLine('getconf', ['CLK_TCK']) ?? 100) || 100;
/** name → () => pid of the processes whose CPU time is recorded. */
const tracked = new Map();
/** Which tracked processes carry a configuration's traffic. */
const PROXIES = {
  pgbouncer: ['pgbouncer'],
  nodePipe: ['nodePipe'],
  local: ['agent'],
  localPolicy: ['agent'],
  relay: ['agent', 'controlPlane'],
  localTls: ['agentTls'],
  relayTls: ['agentTls', 'controlPlaneTls'],
};
/**
 * The control plane of a local-ingress configuration: not in the data path, but it ingests every
 * session's recording (and its PostgreSQL stores it) while the agent proxies, on this same machine.
 */
const INGEST = { local: 'controlPlane', localPolicy: 'controlPlane', localTls: 'controlPlaneTls' };

function processCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

function machineCpu() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = values.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, idle: n[3] + n[4] };
}

function cpuSnapshot() {
  const processes = {};
  for (const [name, pidOf] of tracked) {
    const pid = pidOf();
    processes[name] = pid ? { pid, ...processCpu(pid) } : null;
  }
  return { processes, machine: machineCpu() };
}

function cpuDelta(before, after, transactions, config) {
  const processes = {};
  for (const [name, a] of Object.entries(after.processes)) {
    const b = before.processes[name];
    if (!a || !b || a.pid !== b.pid || a.user === undefined) continue;
    processes[name] = { userS: round3(a.user - b.user), systemS: round3(a.system - b.system) };
  }
  const total = after.machine.total - before.machine.total;
  const busy = total - (after.machine.idle - before.machine.idle);
  const proxy = (PROXIES[config] ?? []).filter((name) => processes[name]);
  const perTx = (key) =>
    transactions && proxy.length
      ? Math.round((proxy.reduce((sum, name) => sum + processes[name][key], 0) / transactions) * 1e7) / 10
      : null;
  const proxySeconds = proxy.length
    ? round3(proxy.reduce((sum, name) => sum + processes[name].userS + processes[name].systemS, 0))
    : null;
  const ingest = processes[INGEST[config]];
  return {
    processes,
    proxyCpuSeconds: proxySeconds,
    machineBusyPercent: total > 0 ? Math.round((busy / total) * 1000) / 10 : null,
    proxyUserUsPerTx: perTx('userS'),
    proxySystemUsPerTx: perTx('systemS'),
    controlPlaneUsPerTx:
      ingest && transactions ? Math.round(((ingest.userS + ingest.systemS) / transactions) * 1e7) / 10 : null,
  };
}

function round3(n) {
  return Math.round(n * 1000) / 1000;
}

async function pgbench(phase, name, target, { extra = [], duration = settings.duration, round = null } = {}) {
  const args = [
    '-n', // no vacuum before the run (the same for every configuration)
    '-S',
    '-c',
    String(settings.clients),
    '-j',
    String(settings.threads),
    '-T',
    String(duration),
    ...extra,
    '-h',
    target.host,
    '-p',
    String(target.port),
    '-U',
    target.user,
    target.database,
  ];
  const record = {
    phase,
    config: name,
    label: target.label,
    round,
    command: `pgbench ${args.join(' ')}`,
    loadAverage1mAtStart: Math.round(os.loadavg()[0] * 100) / 100,
  };
  const cpuBefore = cpuSnapshot();
  const r = await run('pgbench', args, { env: clientEnv(target), timeoutMs: (duration + 120) * 1000 });
  const cpuAfter = cpuSnapshot();
  const number = (re) => {
    const m = re.exec(r.stdout);
    return m ? Number(m[1]) : null;
  };
  Object.assign(record, {
    tps: number(/^tps = ([\d.]+)/m),
    transactions: number(/number of transactions actually processed: (\d+)/),
    failed: number(/number of failed transactions: (\d+)/),
    latencyMs: number(/latency average = ([\d.]+) ms/),
    connectionMs: number(/average connection time = ([\d.]+) ms/),
    exitCode: r.code,
  });
  record.cpu = cpuDelta(cpuBefore, cpuAfter, record.transactions, name);
  if (r.code !== 0 || record.tps === null) {
    record.error = (r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ');
    errors.push(`${phase} ${name}: ${record.error}`);
    say(`  ${target.label}: FAILED (${record.error})`);
  } else if (phase !== 'warmup') {
    const {
      proxyUserUsPerTx: u,
      proxySystemUsPerTx: k,
      machineBusyPercent: busy,
      controlPlaneUsPerTx: cp,
    } = record.cpu;
    const ingest = cp === null ? '' : ` (control plane, off the data path: ${cp} µs)`;
    const cost = u === null ? '' : `, proxy CPU ${u} µs user + ${k} µs system per transaction${ingest}`;
    say(`  ${target.label}: ${Math.round(record.tps)} tps${cost}, machine ${busy}% busy`);
  }
  if (phase !== 'warmup') runs.push(record);
  return record;
}

/**
 * pgbench -S at a fixed rate with every transaction logged (`-l`): the p50/p99 of the
 * transactions' own latency (pgbench's `time` column) and of their schedule lag, which is what a
 * client notices when the path adds queueing.
 */
async function latencyRun(name, target, rate, workdir) {
  const dir = join(workdir, `latency-${name}-${rate}`);
  mkdirSync(dir, { recursive: true });
  const prefix = join(dir, 'tx');
  const record = await pgbench('latency', name, target, {
    extra: ['-R', String(rate), '-l', `--log-prefix=${prefix}`],
  });
  record.rate = rate;
  const times = [];
  const lags = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      // client_id transaction_no time script_no time_epoch time_us schedule_lag
      const f = line.split(' ');
      if (f.length < 7) continue;
      times.push(Number(f[2]));
      lags.push(Number(f[6]));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const pct = (values, p) => {
    if (values.length === 0) return null;
    const sorted = Float64Array.from(values).sort();
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] / 10) / 100;
  };
  record.latency = {
    transactions: times.length,
    p50Ms: pct(times, 50),
    p99Ms: pct(times, 99),
    lagP50Ms: pct(lags, 50),
    lagP99Ms: pct(lags, 99),
  };
  if (record.error === undefined) {
    const l = record.latency;
    say(`    latency p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms; schedule lag p50 ${l.lagP50Ms} ms, p99 ${l.lagP99Ms} ms`);
  }
  return record;
}

const STREAM_SQL = `select g, md5(g::text) from generate_series(1, ${settings.rows}) g`;
// Three text columns for the masking rule `bench-stream-columns` (c1, c2, c3), and the same
// query through `bench`, where no rule applies.
const MASKED_STREAM_SQL = `select g, md5(g::text) as c1, md5((g+1)::text) as c2, md5((g+2)::text) as c3 from generate_series(1, ${settings.rows}) g`;

async function streamRows(name, target, round, phase = 'stream', sql = STREAM_SQL) {
  const conninfo = `host=${target.host} port=${target.port} dbname=${target.database} user=${target.user}`;
  const cpuBefore = cpuSnapshot();
  const r = await run('psql', [conninfo, '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql, '-o', '/dev/null'], {
    env: clientEnv(target),
    timeoutMs: 300_000,
  });
  const record = { phase, config: name, label: target.label, round, sql, seconds: r.ms / 1000, exitCode: r.code };
  record.cpu = cpuDelta(cpuBefore, cpuSnapshot(), null, name);
  if (r.code !== 0) {
    record.error = r.stderr.trim().split('\n').slice(-3).join(' | ');
    errors.push(`${phase} ${name}: ${record.error}`);
    say(`  ${target.label}: FAILED (${record.error})`);
  } else {
    say(`  ${target.label}: ${record.seconds.toFixed(2)} s`);
  }
  runs.push(record);
  return record;
}

function vmRssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]);
}

/** VmRSS after the process was left alone for `settle` seconds: the median of a few readings. */
async function settledRss(pid) {
  await sleep(settings.settle * 1000);
  const samples = [];
  for (let i = 0; i < 5; i += 1) {
    samples.push(vmRssKiB(pid));
    await sleep(200);
  }
  return { kib: median(samples), samples };
}

/** Opens `n` sessions through the agent's local ingress, 20 at a time, each running `select 1`. */
async function openSessions(stack, n, clients) {
  for (let i = 0; i < n; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 20); j += 1) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: stack.agentPort,
        database: 'bench_pool',
        user: BENCH_LOGIN,
        password: stack.poolPassword,
        ssl: false,
      });
      client.on('error', () => undefined);
      clients.push(client);
      batch.push(client.connect().then(() => client.query('select 1')));
    }
    await Promise.all(batch);
  }
}

/** Least-squares slope of y over x. */
function slope(points) {
  const mx = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxy / sxx;
}

async function idleSessionMemory(stack) {
  const pid = stack.agent.pid;
  const n = settings.idleSessions;
  const clients = [];
  try {
    // A few sessions first, so that code paths are compiled and startup garbage collected before
    // the baseline; fewer than n, so the heap is not already sized for n sessions.
    const warm = [];
    await openSessions(stack, Math.min(20, n), warm);
    await Promise.allSettled(warm.map((c) => c.end()));
    const before = await settledRss(pid);
    // Steps of n sessions; the measurement is the least-squares slope of VmRSS over the number of
    // open sessions (0, n, 2n, …): one step alone is at the mercy of whatever V8 grew or gave back
    // at that moment (a step of -50 or +110 KiB/session has been seen on this machine).
    const readings = [before];
    for (let step = 1; step <= settings.idleSteps; step += 1) {
      await openSessions(stack, n, clients);
      readings.push(await settledRss(pid));
    }
    const steps = readings.slice(1).map((r, i) => (r.kib - readings[i].kib) / n);
    const perSessionKiB = slope(readings.map((r, i) => [i * n, r.kib]));
    const allKiB = (readings.at(-1).kib - before.kib) / (n * settings.idleSteps);
    const record = {
      phase: 'memory',
      config: 'local',
      label: 'Postern local ingress (plaintext)',
      sessions: n,
      steps: settings.idleSteps,
      target: 'pgbouncer transaction pool (bench_tx)',
      settleSeconds: settings.settle,
      rssBeforeKiB: before.kib,
      rssAfterKiB: readings[1].kib,
      rssKiBAfterEachStep: readings.slice(1).map((r) => r.kib),
      samples: readings.map((r) => r.samples),
      perSessionKiB,
      perSessionKiBEachStep: steps.map((k) => Math.round(k * 10) / 10),
      perSessionKiBAllSteps: Math.round(allKiB * 10) / 10,
    };
    runs.push(record);
    say(
      `  VmRSS ${readings.map((r) => r.kib).join(' → ')} KiB with 0…${n * settings.idleSteps} idle sessions: ${perSessionKiB.toFixed(1)} KiB/session (slope)` +
        (settings.idleSteps > 1
          ? ` (each step of ${n}: ${record.perSessionKiBEachStep.join(', ')} KiB/session; all ${n * settings.idleSteps}: ${record.perSessionKiBAllSteps})`
          : ''),
    );
    return record;
  } catch (error) {
    errors.push(`memory: ${error.message}`);
    say(`  FAILED: ${error.message}`);
    runs.push({ phase: 'memory', config: 'local', error: error.message });
    return null;
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()));
  }
}

/**
 * Restarts the agent (and, for the relay, the control plane) under `node --cpu-prof`, runs one
 * pgbench, stops them so V8 writes the profiles, and returns the profile files.
 */
async function profiledRun(
  stack,
  name,
  target,
  { extra = [], duration, controlPlane = false, workload = 'pgbench', sql },
  profileDir,
) {
  const dir = join(profileDir, name);
  mkdirSync(dir, { recursive: true });
  const prof = (who) => ['--cpu-prof', '--cpu-prof-dir', join(dir, who)];
  await stack.agent.stop();
  // A control plane stopped by an earlier profiled run must run again, profiled or not.
  if (controlPlane || stack.cpStopped) {
    if (!stack.cpStopped) await stack.cp.stop();
    await startControlPlane(stack, controlPlane ? prof('control-plane') : []);
    stack.cpStopped = false;
  }
  await startAgent(stack, {}, prof('agent'));
  await waitUntil(`the restarted ${stack.kind} stack to admit the credential`, async () => {
    const r = await run(
      'psql',
      [
        `host=127.0.0.1 port=${target.port} dbname=${target.database} user=${target.user} sslmode=${target.sslmode}`,
        '-XAtc',
        'select 1',
      ],
      { env: clientEnv(target), timeoutMs: 10_000 },
    );
    return r.code === 0;
  });
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  const fromUs = nowUs();
  const result =
    workload === 'stream'
      ? await streamRows(name, target, null, 'profile', sql)
      : await pgbench('profile', name, target, { extra, duration });
  const window = { fromUs, toUs: nowUs() };
  await stack.agent.stop();
  if (controlPlane) {
    await stack.cp.stop();
    stack.cpStopped = true;
  }
  const files = {};
  for (const who of controlPlane ? ['agent', 'control-plane'] : ['agent']) {
    const file = existsSync(join(dir, who)) && readdirSync(join(dir, who)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the ${who} wrote no .cpuprofile`);
    files[who] = join(dir, who, file);
  }
  return { files, window, tps: result.tps ?? null, seconds: result.seconds ?? null, command: result.command ?? null };
}

// ---------------------------------------------------------------------------------------------
// Summary and report

function summarize(facts) {
  const ok = (r) => r.error === undefined;
  const pick = (phase, config) => runs.filter((r) => r.phase === phase && r.config === config && ok(r));
  const tpsOf = (phase, config, how = 'median') => {
    const values = pick(phase, config).map((r) => r.tps);
    if (values.length === 0) return null;
    return { value: how === 'median' ? median(values) : values[0], runs: values };
  };
  const select = {};
  for (const config of ['direct', 'pgbouncer', 'local', 'localPolicy', 'relay', 'nodePipe', 'localTls', 'relayTls']) {
    const s = tpsOf('select', config);
    if (s) select[config] = s;
  }
  const extended = {};
  for (const config of ['pgbouncer', 'local', 'localPolicy']) {
    const s = tpsOf('extended', config);
    if (s) extended[config] = s;
  }
  const connect = {};
  for (const config of ['direct', 'pgbouncer', 'local']) {
    const s = tpsOf('connect', config);
    if (s) connect[config] = s;
  }
  const bestOf = (phase, configs) => {
    const best = {};
    for (const config of configs) {
      const measured = pick(phase, config);
      const values = measured.map((r) => r.seconds);
      const cpuSeconds = measured.map((r) => r.cpu?.proxyCpuSeconds).filter((v) => typeof v === 'number');
      if (values.length) {
        best[config] = {
          value: Math.min(...values),
          runs: values,
          proxyCpuSeconds: cpuSeconds.length ? median(cpuSeconds) : null,
        };
      }
    }
    return best;
  };
  const stream = bestOf('stream', ['direct', 'local', 'relay']);
  const maskedStream = bestOf('masked-stream', ['local', 'localPolicy']);
  const memory = runs.find((r) => r.phase === 'memory' && ok(r)) ?? null;
  const cpu = [];
  for (const [phase, configs] of [
    ['select', ['direct', 'pgbouncer', 'local', 'localPolicy', 'relay', 'nodePipe', 'localTls', 'relayTls']],
    ['extended', ['pgbouncer', 'local', 'localPolicy']],
    ['connect', ['direct', 'pgbouncer', 'local']],
  ]) {
    for (const config of configs) {
      const measured = pick(phase, config).filter((r) => r.cpu);
      if (measured.length === 0) continue;
      const med = (key) => {
        const values = measured.map((r) => r.cpu[key]).filter((v) => v !== null);
        return values.length ? median(values) : null;
      };
      cpu.push({
        phase,
        config,
        proxyUserUsPerTx: med('proxyUserUsPerTx'),
        proxySystemUsPerTx: med('proxySystemUsPerTx'),
        controlPlaneUsPerTx: med('controlPlaneUsPerTx'),
        machineBusyPercent: med('machineBusyPercent'),
      });
    }
  }
  const ratio = (a, b) => (a && b ? a.value / b.value : null);

  const targets = [];
  const target = (name, value, op, limit, unit) => {
    const pass = value === null ? null : op === '>=' ? value >= limit : value <= limit;
    targets.push({ name, value, target: `${op} ${limit}${unit}`, pass });
  };
  target(
    'pgbench -S: local ingress / pgbouncer',
    ratio(select.local, select.pgbouncer),
    '>=',
    TARGETS.localVsPgbouncer,
    '×',
  );
  target(
    'pgbench -S: local ingress with policy / pgbouncer',
    ratio(select.localPolicy, select.pgbouncer),
    '>=',
    TARGETS.localPolicyVsPgbouncer,
    '×',
  );
  target('pgbench -S: relay / pgbouncer', ratio(select.relay, select.pgbouncer), '>=', TARGETS.relayVsPgbouncer, '×');
  target('stream rows: local ingress / direct', ratio(stream.local, stream.direct), '<=', TARGETS.streamVsDirect, '×');
  target('stream rows: relay / direct', ratio(stream.relay, stream.direct), '<=', TARGETS.streamVsDirect, '×');
  target(
    'agent memory per idle session (KiB)',
    memory ? memory.perSessionKiB : null,
    '<=',
    TARGETS.idleSessionKiB,
    ' KiB',
  );
  target(
    'new sessions/s through the local ingress',
    connect.local?.value ?? null,
    '>=',
    TARGETS.newSessionsPerSecond,
    '/s',
  );
  target(
    'masked stream: 3 masked columns / unmasked (local ingress)',
    ratio(maskedStream.localPolicy, maskedStream.local),
    '<=',
    TARGETS.maskedStreamVsUnmasked,
    '×',
  );

  // What policy costs, reported without a target: the same ingress with and without rules.
  const policyRatios = [
    ['pgbench -S tps: policy on / policy off (local ingress)', ratio(select.localPolicy, select.local)],
    ['pgbench -S -M extended tps: policy on / policy off (local ingress)', ratio(extended.localPolicy, extended.local)],
  ]
    .filter(([, value]) => value !== null)
    .map(([name, value]) => ({ name, value }));

  return { select, extended, connect, stream, maskedStream, memory, cpu, targets, policyRatios, facts };
}

const fmtInt = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const fmtRatio = (n) => (n === null || n === undefined ? '—' : `${n.toFixed(2)}×`);
const verdict = (pass) => (pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL');

function markdown(summary) {
  const { select, extended, connect, stream, maskedStream, memory, targets } = summary;
  const t = Object.fromEntries(targets.map((x) => [x.name, x]));
  const runsOf = (s, f = fmtInt) => (s && s.runs.length > 1 ? ` (${s.runs.map(f).join(' / ')})` : '');
  const rows = [];
  const labels = {
    direct: 'direct PostgreSQL',
    pgbouncer: 'pgbouncer (session mode)',
    local: 'Postern local ingress',
    localPolicy: 'Postern local ingress, policy on',
    relay: 'Postern relay (control plane → data connection → agent)',
    localTls: 'Postern local ingress, TLS',
    relayTls: 'Postern relay, TLS (client TLS + TLS data connection)',
    nodePipe: 'reference: bare Node.js TCP pipe (no Postern code)',
  };
  const tpsRow = (what, s, config, ref, targetName, extra = '') => {
    if (!s[config]) return;
    const targetRow = targetName ? t[targetName] : null;
    rows.push(
      `| ${what} | ${labels[config]}${extra} | ${fmtInt(s[config].value)}${runsOf(s[config])} | ${fmtRatio(
        ref ? s[config].value / ref.value : null,
      )} | ${targetRow ? targetRow.target : '—'} | ${targetRow ? verdict(targetRow.pass) : ''} |`,
    );
  };
  const rounds = settings.rounds;
  const ofPolicyOff = (s, config) =>
    config === 'localPolicy' && s.local ? ` (${fmtRatio(s.localPolicy.value / s.local.value)} of policy off)` : '';
  for (const config of ['direct', 'pgbouncer', 'local', 'localPolicy', 'relay', 'nodePipe']) {
    tpsRow(
      `pgbench -S tps, median of ${rounds}`,
      select,
      config,
      select.pgbouncer,
      {
        local: 'pgbench -S: local ingress / pgbouncer',
        localPolicy: 'pgbench -S: local ingress with policy / pgbouncer',
        relay: 'pgbench -S: relay / pgbouncer',
      }[config],
      ofPolicyOff(select, config),
    );
  }
  for (const config of ['localTls', 'relayTls']) {
    if (!select[config]) continue;
    const plain = select[config === 'localTls' ? 'local' : 'relay'];
    tpsRow(
      'pgbench -S tps, 1 round',
      select,
      config,
      select.pgbouncer,
      null,
      plain ? ` (${fmtRatio(select[config].value / plain.value)} of plaintext)` : '',
    );
  }
  for (const config of ['pgbouncer', 'local', 'localPolicy']) {
    tpsRow(
      'pgbench -S -M extended tps, 1 round',
      extended,
      config,
      extended.pgbouncer,
      null,
      ofPolicyOff(extended, config),
    );
  }
  for (const config of ['direct', 'local', 'relay']) {
    if (!stream[config]) continue;
    const name = { local: 'stream rows: local ingress / direct', relay: 'stream rows: relay / direct' }[config];
    const targetRow = name ? t[name] : null;
    rows.push(
      `| ${settings.rows.toLocaleString('en-US')} rows via psql, s (best of ${settings.streamRepeats}) | ${labels[config]} | ${stream[
        config
      ].value.toFixed(2)}${runsOf(stream[config], (v) => v.toFixed(2))} | ${fmtRatio(
        stream.direct ? stream[config].value / stream.direct.value : null,
      )} vs direct | ${targetRow ? targetRow.target : '—'} | ${targetRow ? verdict(targetRow.pass) : ''} |`,
    );
  }
  for (const config of ['local', 'localPolicy']) {
    if (!maskedStream[config]) continue;
    const targetRow = config === 'localPolicy' ? t['masked stream: 3 masked columns / unmasked (local ingress)'] : null;
    const label = config === 'local' ? `${labels.local}, unmasked` : `${labels.localPolicy}: c1, c2, c3 masked`;
    rows.push(
      `| ${settings.rows.toLocaleString('en-US')} rows × 3 text columns via psql, s (best of ${
        settings.streamRepeats
      }) | ${label} | ${maskedStream[config].value.toFixed(2)}${runsOf(maskedStream[config], (v) => v.toFixed(2))} | ${fmtRatio(
        maskedStream.local ? maskedStream[config].value / maskedStream.local.value : null,
      )} vs unmasked | ${targetRow ? targetRow.target : '—'} | ${targetRow ? verdict(targetRow.pass) : ''} |`,
    );
  }
  if (memory) {
    const targetRow = t['agent memory per idle session (KiB)'];
    rows.push(
      `| agent VmRSS per idle session, KiB (slope over ${memory.steps}×${memory.sessions} sessions; steps: ${memory.perSessionKiBEachStep.join(
        ', ',
      )}) | ${labels.local} | ${memory.perSessionKiB.toFixed(1)} (${fmtInt(memory.rssBeforeKiB)} → ${fmtInt(
        memory.rssKiBAfterEachStep.at(-1),
      )} KiB) | — | ${targetRow.target} | ${verdict(targetRow.pass)} |`,
    );
  }
  for (const config of ['direct', 'pgbouncer', 'local']) {
    if (!connect[config]) continue;
    const targetRow = config === 'local' ? t['new sessions/s through the local ingress'] : null;
    rows.push(
      `| new sessions/s (pgbench -C -S), 1 round | ${labels[config]} | ${fmtInt(connect[config].value)} | ${fmtRatio(
        connect.pgbouncer ? connect[config].value / connect.pgbouncer.value : null,
      )} | ${targetRow ? targetRow.target : '—'} | ${targetRow ? verdict(targetRow.pass) : ''} |`,
    );
  }
  const phaseNames = { select: 'pgbench -S', extended: 'pgbench -S -M extended', connect: 'pgbench -C -S' };
  const cpuRows = summary.cpu.map(
    (c) =>
      `| ${phaseNames[c.phase]} | ${labels[c.config]} | ${c.proxyUserUsPerTx ?? '—'} | ${c.proxySystemUsPerTx ?? '—'} | ${
        c.proxyUserUsPerTx === null ? '—' : Math.round((c.proxyUserUsPerTx + c.proxySystemUsPerTx) * 10) / 10
      } | ${c.controlPlaneUsPerTx ?? '—'} | ${c.machineBusyPercent ?? '—'} |`,
  );
  const latencyRuns = runs.filter((r) => r.phase === 'latency' && r.latency && r.error === undefined);
  const directAt = (rate) => latencyRuns.find((r) => r.config === 'direct' && r.rate === rate)?.latency;
  const added = (value, base) =>
    value === null || base === null || base === undefined ? '—' : `${Math.round((value - base) * 100) / 100}`;
  const latencyRows = latencyRuns.map((r) => {
    const d = directAt(r.rate);
    const l = r.latency;
    return `| ${r.rate}/s | ${labels[r.config]} | ${Math.round(r.tps)} | ${l.p50Ms} | ${l.p99Ms} | ${added(l.p50Ms, d?.p50Ms)} | ${added(l.p99Ms, d?.p99Ms)} | ${l.lagP99Ms} | ${r.cpu.proxyUserUsPerTx === null ? '—' : Math.round((r.cpu.proxyUserUsPerTx + r.cpu.proxySystemUsPerTx) * 10) / 10} |`;
  });
  return [
    '| measurement | configuration | result (runs) | vs pgbouncer | target | |',
    '| --- | --- | ---: | ---: | --- | --- |',
    ...rows,
    '',
    'CPU time of the proxy processes per transaction (medians; relay = control plane + agent; -C: per session);',
    'for the local ingress, the control plane (same machine, not in the data path) ingesting the recordings:',
    '',
    '| run | configuration | user µs/tx | system µs/tx | total µs/tx | control plane µs/tx | machine busy % |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...cpuRows,
    ...['local', 'relay']
      .filter((c) => stream[c]?.proxyCpuSeconds !== null && stream[c]?.proxyCpuSeconds !== undefined)
      .map(
        (c) =>
          `\nStreaming ${settings.rows.toLocaleString('en-US')} rows, proxy CPU per run (median): ${labels[c]} ${stream[
            c
          ].proxyCpuSeconds.toFixed(2)} s (${((stream[c].proxyCpuSeconds / settings.rows) * 1e6).toFixed(2)} µs/row)`,
      ),
    ...(typeof maskedStream.local?.proxyCpuSeconds === 'number' &&
    typeof maskedStream.localPolicy?.proxyCpuSeconds === 'number'
      ? [
          `\nMasked stream, agent CPU per run (median): unmasked ${maskedStream.local.proxyCpuSeconds.toFixed(2)} s (${(
            (maskedStream.local.proxyCpuSeconds / settings.rows) *
            1e6
          ).toFixed(2)} µs/row), c1–c3 masked ${maskedStream.localPolicy.proxyCpuSeconds.toFixed(2)} s (${(
            (maskedStream.localPolicy.proxyCpuSeconds / settings.rows) *
            1e6
          ).toFixed(2)} µs/row)`,
        ]
      : []),
    ...(latencyRows.length > 0
      ? [
          '',
          'Latency at a fixed rate (pgbench -S -R, every transaction logged; added = minus direct at the same rate):',
          '',
          '| rate | configuration | tps | p50 ms | p99 ms | added p50 ms | added p99 ms | schedule lag p99 ms | proxy CPU µs/tx |',
          '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...latencyRows,
        ]
      : []),
  ].join('\n');
}

async function writeResults(document) {
  mkdirSync(settings.resultsDir, { recursive: true });
  let text = `${JSON.stringify(document, null, 2)}\n`;
  try {
    // The repository's format check covers JSON files: write them as prettier would.
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(join(ROOT, 'package.json'))) ?? {};
    text = await prettier.format(text, { ...options, parser: 'json' });
  } catch {
    // prettier is a dev dependency; plain JSON is fine without it
  }
  const file = join(settings.resultsDir, `postgres-${document.stamp}.json`);
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------------
// The run

async function main() {
  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  say(`Postern PostgreSQL benchmark ${settings.quick ? '(quick smoke run: not a measurement) ' : ''}— run ${RUN_ID}`);
  await preflight();
  testing = await import(TESTING);
  const facts = await machineFacts();
  say(
    `machine: ${facts.machine.nproc} CPUs (${facts.machine.cpuModel}), node ${facts.machine.node}, PostgreSQL ${facts.machine.postgres}, commit ${facts.git.commit}`,
  );
  const workdir = mkdtempSync(join(os.tmpdir(), 'postern-bench-'));
  onCleanup(`remove ${workdir}`, () => {
    if (settings.keep) process.stdout.write(`kept ${workdir} (logs)\n`);
    else rmSync(workdir, { recursive: true, force: true });
  });

  say(`setup: pgbench database (scale ${settings.scale}), pgbouncer, Postern stacks`);
  const benchDb = await createDatabase(`postern_bench_pgbench_${RUN_ID}`);
  const tls = settings.tls ? await testing.selfSignedCertificate(['localhost']) : null;
  if (tls) onCleanup(`remove ${tls.dir}`, () => rmSync(tls.dir, { recursive: true, force: true }));
  const init = preparePgbenchDatabase(benchDb);
  init.catch(() => undefined);
  const bouncer = await startPgbouncer(workdir, benchDb);
  const nodePipe = settings.nodePipe ? await startNodePipe(workdir) : null;
  // The stacks boot (migrations, Nest) while pgbench -i fills the tables.
  const plain = await startStack('plain', workdir, benchDb, bouncer, null);
  const secure = tls ? await startStack('tls', workdir, benchDb, null, tls) : null;
  await init;
  const policyPassword = settings.policy ? await addPolicyConnection(plain, benchDb) : null;
  tracked.set('pgbouncer', bouncer.pid);
  if (nodePipe) tracked.set('nodePipe', () => nodePipe.service.pid);
  tracked.set('agent', () => plain.agent.pid);
  tracked.set('controlPlane', () => plain.cp.pid);
  if (secure) {
    tracked.set('agentTls', () => secure.agent.pid);
    tracked.set('controlPlaneTls', () => secure.cp.pid);
  }

  const E = {
    direct: endpoint('direct PostgreSQL', PG_PORT, benchDb.name, PG_USER, null),
    pgbouncer: endpoint('pgbouncer (session)', bouncer.port, 'bench', PG_USER, null),
    local: endpoint('Postern local ingress', plain.agentPort, 'bench', BENCH_LOGIN, plain.password),
    relay: endpoint('Postern relay', plain.relayPort, 'bench', BENCH_LOGIN, plain.password),
  };
  if (policyPassword) {
    E.localPolicy = endpoint(
      'Postern local ingress, policy on',
      plain.agentPort,
      POLICY.connection,
      BENCH_LOGIN,
      policyPassword,
    );
  }
  if (nodePipe) E.nodePipe = endpoint('bare Node.js pipe (reference)', nodePipe.port, benchDb.name, PG_USER, null);
  if (secure) {
    E.localTls = endpoint(
      'Postern local ingress, TLS',
      secure.agentPort,
      'bench',
      BENCH_LOGIN,
      secure.password,
      'require',
    );
    E.relayTls = endpoint('Postern relay, TLS', secure.relayPort, 'bench', BENCH_LOGIN, secure.password, 'require');
  }
  const setupSeconds = (performance.now() - started) / 1000;
  say(`setup done in ${setupSeconds.toFixed(0)} s`);
  if (settings.hold) {
    // Everything set up, nothing measured: for profiling or trying clients by hand.
    say('--hold: set up and waiting; Ctrl-C cleans up. Endpoints:');
    for (const [name, e] of Object.entries(E)) {
      const password = e.password ? `PGPASSWORD='${e.password}' ` : '';
      process.stdout.write(
        `  ${name.padEnd(12)} ${password}psql "host=${e.host} port=${e.port} dbname=${e.database} user=${e.user} sslmode=${e.sslmode}"\n`,
      );
    }
    process.stdout.write(
      `  agent pid ${plain.agent.pid}, control plane pid ${plain.cp.pid}, pgbouncer pid ${bouncer.pid()}\n`,
    );
    writeFileSync(
      join(workdir, 'endpoints.json'),
      JSON.stringify({
        endpoints: E,
        pool: { port: plain.agentPort, database: 'bench_pool', user: BENCH_LOGIN, password: plain.poolPassword },
        agentPid: plain.agent.pid,
        controlPlanePid: plain.cp.pid,
        pgbouncerPid: bouncer.pid(),
        agentEnv: plain.agentEnv,
      }),
    );
    process.stdout.write(`  (also in ${join(workdir, 'endpoints.json')})\n`);
    await new Promise(() => undefined);
  }

  // 4 first: idle-session memory, on an agent that has served only the setup checks, so that
  // memory freed by the throughput runs cannot hide what sessions cost.
  if (wanted('memory')) {
    say(`agent memory per idle session (${settings.idleSessions} sessions, local ingress)`);
    await idleSessionMemory(plain);
  }

  const mainConfigs = [
    'direct',
    'pgbouncer',
    'local',
    ...(E.localPolicy ? ['localPolicy'] : []),
    'relay',
    ...(nodePipe ? ['nodePipe'] : []),
  ];
  const tlsConfigs = secure ? ['localTls', 'relayTls'] : [];
  if (settings.warmup > 0 && (wanted('select') || wanted('extended'))) {
    say(`warm-up: ${settings.warmup} s of pgbench -S per configuration`);
    for (const config of [...mainConfigs, ...tlsConfigs]) {
      await pgbench('warmup', config, E[config], { duration: settings.warmup });
    }
  }

  // 1: pgbench -S, configurations interleaved, the order rotated each round; TLS in round 1.
  for (let round = 1; wanted('select') && round <= settings.rounds; round += 1) {
    const shift = (round - 1) % mainConfigs.length;
    const order = [...mainConfigs.slice(shift), ...mainConfigs.slice(0, shift)];
    if (round === 1) order.push(...tlsConfigs);
    say(
      `pgbench -S -c ${settings.clients} -j ${settings.threads} -T ${settings.duration}, round ${round}/${settings.rounds}`,
    );
    for (const config of order) await pgbench('select', config, E[config], { round });
  }

  // 2: extended protocol, local ingress (policy off and on) vs pgbouncer.
  if (wanted('extended')) say('pgbench -S -M extended');
  for (const config of wanted('extended') ? ['pgbouncer', 'local', ...(E.localPolicy ? ['localPolicy'] : [])] : []) {
    await pgbench('extended', config, E[config], { extra: ['-M', 'extended'], round: 1 });
  }

  // 3: streaming a large result.
  for (let round = 1; wanted('stream') && round <= settings.streamRepeats; round += 1) {
    say(`stream ${settings.rows.toLocaleString('en-US')} rows with psql, run ${round}/${settings.streamRepeats}`);
    for (const config of ['direct', 'local', 'relay']) await streamRows(config, E[config], round);
  }

  // 5: a new session per transaction.
  if (wanted('connect')) {
    say(`new sessions per second: pgbench -C -S -c ${settings.clients} -j ${settings.threads} -T ${settings.duration}`);
  }
  for (const config of wanted('connect') ? ['direct', 'pgbouncer', 'local'] : []) {
    await pgbench('connect', config, E[config], { extra: ['-C'], round: 1 });
  }

  // 6: the same 3-text-column result unmasked (`bench`) and masked (`bench_policy`), alternating
  // which goes first.
  for (let round = 1; wanted('masked-stream') && E.localPolicy && round <= settings.streamRepeats; round += 1) {
    say(
      `masked stream: ${settings.rows.toLocaleString('en-US')} rows, c1–c3 masked vs unmasked (local ingress), run ${round}/${settings.streamRepeats}`,
    );
    const order = round % 2 === 1 ? ['local', 'localPolicy'] : ['localPolicy', 'local'];
    for (const config of order) await streamRows(config, E[config], round, 'masked-stream', MASKED_STREAM_SQL);
  }

  // 7: latency at fixed rates well below saturation (pgbench -R, every transaction logged).
  for (const rate of wanted('latency') ? settings.latencyRates : []) {
    say(
      `latency at ${rate} transactions/s: pgbench -S -R ${rate} -c ${settings.clients} -j ${settings.threads} -T ${settings.duration}`,
    );
    for (const config of ['direct', 'pgbouncer', 'local', 'relay']) await latencyRun(config, E[config], rate, workdir);
  }

  let summary = summarize(facts);
  const missed = summary.targets.some((x) => x.pass === false);
  const profiles = [];
  if (settings.profile === 'always' || (settings.profile === 'auto' && missed)) {
    const failed = new Set(summary.targets.filter((x) => x.pass === false).map((x) => x.name));
    const plans = [
      {
        // The control plane too: it ingests every session's recording while the agent proxies.
        name: 'local-select',
        what: 'pgbench -S through the local ingress (control plane and agent profiled)',
        target: E.local,
        controlPlane: true,
      },
      {
        // The control plane too: it stores every session's reports, audit events and recording.
        name: 'local-connect',
        what: 'pgbench -C -S through the local ingress (control plane and agent profiled)',
        target: E.local,
        extra: ['-C'],
        controlPlane: true,
        when: failed.has('new sessions/s through the local ingress'),
      },
      {
        name: 'local-stream',
        what: `psql streaming ${settings.rows.toLocaleString('en-US')} rows through the local ingress`,
        target: E.local,
        workload: 'stream',
        when: failed.has('stream rows: local ingress / direct'),
      },
      {
        name: 'local-policy-select',
        what: 'pgbench -S through the local ingress, policy on',
        target: E.localPolicy,
        when: failed.has('pgbench -S: local ingress with policy / pgbouncer'),
      },
      {
        name: 'local-masked-stream',
        what: `psql streaming ${settings.rows.toLocaleString('en-US')} rows with c1–c3 masked through the local ingress`,
        target: E.localPolicy,
        workload: 'stream',
        sql: MASKED_STREAM_SQL,
        when: failed.has('masked stream: 3 masked columns / unmasked (local ingress)'),
      },
      {
        name: 'relay-select',
        what: 'pgbench -S through the relay (control plane and agent profiled)',
        target: E.relay,
        controlPlane: true,
        when: failed.has('pgbench -S: relay / pgbouncer') || failed.has('stream rows: relay / direct'),
      },
    ]
      .filter((p) => p.target !== undefined && (settings.profile === 'always' || p.when !== false))
      .filter((p) => settings.profileRuns === undefined || settings.profileRuns.includes(p.name));
    for (const plan of plans) {
      say(`profiling (node --cpu-prof, ${settings.profileDuration} s): ${plan.what}`);
      try {
        const { files, window, tps, seconds, command } = await profiledRun(
          plain,
          plan.name,
          plan.target,
          {
            extra: plan.extra ?? [],
            duration: settings.profileDuration,
            controlPlane: plan.controlPlane,
            workload: plan.workload,
            sql: plan.sql,
          },
          join(workdir, 'profiles'),
        );
        mkdirSync(settings.resultsDir, { recursive: true });
        for (const [who, file] of Object.entries(files)) {
          const kept = join(settings.resultsDir, `postgres-${stamp}.${plan.name}.${who}.cpuprofile`);
          copyFileSync(file, kept);
          const top = summarizeProfile(kept, 25, window);
          profiles.push({
            run: plan.name,
            what: plan.what,
            process: who,
            command,
            tpsUnderProfiler: tps,
            secondsUnderProfiler: seconds,
            ...top,
            file: relative(ROOT, kept),
          });
        }
      } catch (error) {
        errors.push(`profile ${plan.name}: ${error.message}`);
        say(`  profiling failed: ${error.message}`);
      }
    }
  }

  const finishedAt = new Date();
  summary = summarize(facts);
  const document = {
    benchmark: 'postgres',
    stamp,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt - startedAt) / 1000),
    setupSeconds: Math.round(setupSeconds),
    git: facts.git,
    machine: { ...facts.machine, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    settings: { ...settings, pgUrl: undefined, redisUrl: undefined, resultsDir: relative(ROOT, settings.resultsDir) },
    summary: {
      pgbenchSelectTps: summary.select,
      pgbenchExtendedTps: summary.extended,
      newSessionsPerSecond: summary.connect,
      streamSeconds: summary.stream,
      maskedStreamSeconds: summary.maskedStream,
      policyRatios: summary.policyRatios,
      idleSession: summary.memory,
      proxyCpu: summary.cpu,
    },
    targets: summary.targets,
    policy: settings.policy ? POLICY : null,
    profiles,
    runs,
    errors,
  };
  const file = await writeResults(document);

  process.stdout.write(`\n## Postern PostgreSQL benchmark — ${stamp}\n\n`);
  process.stdout.write(
    `commit ${facts.git.commit}${facts.git.modifiedTrackedFiles ? ` (+${facts.git.modifiedTrackedFiles} modified files)` : ''}, ` +
      `${facts.machine.nproc} CPUs, node ${facts.machine.node}, PostgreSQL ${facts.machine.postgres}, ${facts.machine.pgbouncer}; ` +
      `pgbench -c ${settings.clients} -j ${settings.threads} -T ${settings.duration}, scale ${settings.scale}\n\n`,
  );
  process.stdout.write(`${markdown(summary)}\n\n`);
  process.stdout.write('| target | value | target | |\n| --- | ---: | --- | --- |\n');
  for (const x of summary.targets) {
    const value =
      x.value === null ? '—' : x.name.includes('KiB') || x.name.includes('/s') ? x.value.toFixed(1) : fmtRatio(x.value);
    process.stdout.write(`| ${x.name} | ${value} | ${x.target} | ${verdict(x.pass)} |\n`);
  }
  for (const x of summary.policyRatios) process.stdout.write(`| ${x.name} | ${fmtRatio(x.value)} | — | |\n`);
  for (const p of profiles) {
    process.stdout.write(
      `\n### ${p.process} profile: ${p.what} (${
        p.tpsUnderProfiler !== null ? `${fmtInt(p.tpsUnderProfiler)} tps` : `${p.secondsUnderProfiler?.toFixed(2)} s`
      } under the profiler)\n\n`,
    );
    process.stdout.write(`${formatProfileSummary({ ...p, topFunctions: p.topFunctions.slice(0, 15) })}\n`);
  }
  if (errors.length) process.stdout.write(`\nerrors:\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
  process.stdout.write(`\nraw results: ${relative(ROOT, file)}\n`);
  return errors.length === 0;
}

main()
  .then(
    async (ok) => {
      await cleanup();
      say(`done${ok ? '' : ' (with errors)'}`);
      process.exit(ok ? 0 : 1);
    },
    async (error) => {
      if (cleaning) return; // interrupted: the signal handler cleans up and exits
      process.stderr.write(`\nbenchmark failed: ${error.stack ?? error.message}\n`);
      await cleanup();
      process.exit(1);
    },
  )
  .catch(() => process.exit(1));
