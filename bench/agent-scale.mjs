#!/usr/bin/env node
// One agent under many sessions (issue #24 items 3 and 5). A benchmark, not a test: it measures
// and reports, it asserts nothing.
//
//   node bench/agent-scale.mjs [--idle=5000] [--active=500] [--revoke=1000] [--holds=200] [--seconds=10]
//
// Starts, from the built apps and libs/testing's stack fixture: the development IdP, a control
// plane and one agent (local PostgreSQL ingress, production log level and heartbeats), and a
// pgbouncer in transaction mode as the sessions' target (PostgreSQL here allows 100 backends; what
// is measured is the agent). The agent runs with bench/agent-scale-probe.mjs preloaded, which on
// SIGUSR2 reports its live timers by creating site, libuv resources and heap.
//   1. idle: `idle` node-postgres sessions through the local ingress (each runs `select 1`, then
//      stays idle), `revoke` of them under a second credential of the same user. Agent RSS, heap
//      and timers before and after, per session; agent CPU over `seconds` s of idleness.
//   2. active: `active` more sessions, each running `select 1` back to back for `seconds` s
//      while the idle ones stay: statements/s, agent CPU per statement, RSS.
//   3. revocation: revokeConnectionCredential on the second credential, with every session
//      above still open: time from sending the mutation to each of its `revoke` clients seeing
//      its connection end (p50/p99/max), and that every other session still answers.
//   4. approval: an approval rule on UPDATE of one table on a second connection (straight to
//      PostgreSQL); `holds` times (one at a time, the agent still holding the idle sessions) an
//      UPDATE is held, its review id taken from the client's NOTICE, and approveReview sent by an
//      approver (the IdP's bob, group approvers, signed in with the authorization code flow): time
//      from sending the mutation to the UPDATE's result (p50/p99/max).
// Needs ~2 file descriptors per session in the agent, one in pgbouncer and in this process: `ulimit
// -n` of 20,000 (this machine's) is enough for the defaults; pgbouncer (run as postgres with
// runuser, so the bench runs as root) raises its soft limit to the hard one. Writes
// bench/results/agent-scale-<date>.json and prints a markdown summary.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const testing = await import(join(ROOT, 'libs/testing/dist/index.js'));
const arg = (name, fallback) => Number(new RegExp(`--${name}=(\\d+)`).exec(process.argv.join(' '))?.[1] ?? fallback);
const IDLE = arg('idle', 5000);
const ACTIVE = arg('active', 500);
const REVOKE = Math.min(arg('revoke', 1000), IDLE);
const HOLDS = arg('holds', 200);
const SECONDS = arg('seconds', 10);
/** --profile: a CPU profile of the agent during the revocation, next to the results. */
const PROFILE = process.argv.includes('--profile');
const LOGIN = 'scale@bench.example';
const CLK_TCK = 100;

const log = (...args) => console.error(`[agent-scale ${new Date().toISOString().slice(11, 19)}]`, ...args);
const kib = (bytes) => Math.round(bytes / 1024);
const round1 = (n) => Math.round(n * 10) / 10;

function rssBytes(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}
/** User + system CPU of a process, in ms. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function latency(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1)),
  };
}
async function until(what, probe, timeoutMs = 60_000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** pgbouncer (Debian's, as postgres) pooling `database` in transaction mode for `clients` clients. */
async function startPgbouncer(dir, database, clients) {
  mkdirSync(dir, { recursive: true });
  chmodSync(dirname(dir), 0o755);
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'])), Number(execFileSync('id', ['-g', 'postgres'])));
  const port = await testing.freePort();
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `scale = host=127.0.0.1 port=5432 dbname=${database} user=postgres pool_mode=transaction pool_size=20`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `max_client_conn = ${clients + 100}`,
      'server_tls_sslmode = disable',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n', { mode: 0o644 });
  // runuser's PAM session sets the soft open-files limit to 1,024 (hard 20,000 here): raised to
  // the hard limit, or pgbouncer refuses clients past about a thousand.
  const command = `ulimit -n $(ulimit -Hn) && exec pgbouncer ${join(dir, 'pgbouncer.ini')}`;
  const child = spawn('runuser', ['-u', 'postgres', '--', 'sh', '-c', command], {
    stdio: 'ignore',
  });
  const pidFile = join(dir, 'pgbouncer.pid');
  const stop = () => {
    child.kill('SIGTERM');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  try {
    await until('pgbouncer to accept connections', async () => {
      const client = new pg.Client({ host: '127.0.0.1', port, database: 'scale', user: 'postgres' });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        return false;
      }
    });
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const limit = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];
    log(`pgbouncer ${pid}: max open files ${limit}`);
  } catch (error) {
    stop(); // a pgbouncer that never came up is not left behind
    throw error;
  }
  return { port, stop };
}

/** An API access token for one of the development IdP's people: authorization code flow with PKCE, as the CLI. */
async function accessTokenFor(idp, login) {
  const redirectUri = 'http://127.0.0.1/callback';
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${idp.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: idp.clients.cli.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid email profile groups',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: 'urn:postern:gateway',
  }).toString();
  const browser = new testing.ScriptedBrowser();
  const atCallback = (next) => next.href.startsWith(redirectUri);
  const page = await browser.completeInteractions(
    await browser.navigate(authorize.href, atCallback),
    login,
    atCallback,
  );
  const code = new URL(page.url).searchParams.get('code');
  if (!code) throw new Error(`no authorization code for ${login}`);
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: idp.clients.cli.clientId,
      code_verifier: verifier,
      resource: 'urn:postern:gateway',
    }),
  });
  return (await response.json()).access_token;
}

/** Opens `n` sessions, `parallel` at a time, each answering `select 1` once. */
async function openSessions(n, config, parallel = 50) {
  const clients = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        next += 1;
        const client = new pg.Client(config);
        client.on('error', () => undefined);
        clients.push(client);
        await client.connect();
        await client.query('select 1');
      }
    }),
  );
  return clients;
}

async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  const workdir = mkdtempSync(join(os.tmpdir(), 'postern-agent-scale-'));
  const probeFile = join(workdir, 'probe.json');
  const redisPrefix = `postern-bench-scale-${randomBytes(4).toString('hex')}`;
  const target = await testing.createTestDatabase('postern_bench_scale');
  const cleanups = [() => target.drop(), () => rmSync(workdir, { recursive: true, force: true })];
  const result = { startedAt: started.toISOString(), settings: { IDLE, ACTIVE, REVOKE, HOLDS, SECONDS } };
  const allClients = [];
  try {
    await testing.queryDatabase(
      target.url,
      'CREATE TABLE holds (id int PRIMARY KEY, n int); INSERT INTO holds VALUES (1, 0)',
    );
    const bouncer = await startPgbouncer(join(workdir, 'pgbouncer'), target.name, IDLE + ACTIVE);
    cleanups.push(bouncer.stop);
    const stack = await testing.startStack({
      name: 'postern_bench_scale_cp',
      idp: true,
      controlPlane: {
        redisPrefix,
        env: {
          POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '10000',
          POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '30000',
          POSTERN_LOG_LEVEL: 'info',
          POSTERN_RELAY_POSTGRES_PORT: 'off',
          POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
        },
      },
    });
    cleanups.push(() => stack.stop());
    const admin = async (query, variables) => {
      const r = await stack.cp.admin(query, variables);
      if (r.errors) throw new Error(r.errors.map((e) => e.message).join('; '));
      return r.data;
    };
    const agent = await stack.enrollAgent('scale', {
      NODE_OPTIONS: `--import=${join(ROOT, 'bench/agent-scale-probe.mjs')} --expose-gc`,
      POSTERN_BENCH_PROBE_FILE: probeFile,
      POSTERN_LOG_LEVEL: 'info',
      POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
      BENCH_UNUSED_PASSWORD: 'unused-with-trust-auth',
      // Admission limits off: every client here is 127.0.0.1 and one principal.
      POSTERN_AGENT_CONNECT_RATE_PER_ADDRESS: '100000',
      POSTERN_AGENT_CONNECT_BURST_PER_ADDRESS: '100000',
      POSTERN_AGENT_MAX_SESSIONS_PER_PRINCIPAL: '100000',
      POSTERN_AGENT_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    });
    const pid = agent.process.pid;
    const ingressPort = Number(
      (agent.process.logs.find((l) => l.msg === 'local ingress listening') ??
        (await agent.process.waitForMessage('local ingress listening')))['port'],
    );
    const probe = async () => {
      const before = existsSync(probeFile) ? JSON.parse(readFileSync(probeFile, 'utf8')).at : 0;
      process.kill(pid, 'SIGUSR2');
      return until('the agent probe', () => {
        if (!existsSync(probeFile)) return null;
        const p = JSON.parse(readFileSync(probeFile, 'utf8'));
        return p.at > before ? p : null;
      });
    };
    const settled = async () => {
      await sleep(3000);
      const p = await probe();
      await sleep(500);
      return { ...p, rssBytes: rssBytes(pid) };
    };

    const userId = (await admin(`mutation { createUser(input: { email: "${LOGIN}", groups: ["bench"] }) { id } }`))
      .createUser.id;
    const connection = async (name, port, database) => {
      const id = (
        await admin('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }', {
          input: {
            name,
            protocol: 'POSTGRES',
            agentId: agent.id,
            targetHost: '127.0.0.1',
            targetPort: port,
            targetDatabase: database,
            targetUser: 'postgres',
            secretRef: 'env:BENCH_UNUSED_PASSWORD',
            tlsMode: 'disable',
          },
        })
      ).createConnection.id;
      await admin(
        'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["bench"], operations: ["read", "write"] }) { id } }',
        { id },
      );
      return id;
    };
    const mint = async (connectionId) =>
      (
        await admin(
          'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 43200 }) { password credential { id } } }',
          { c: connectionId, u: userId },
        )
      ).mintConnectionCredential;
    const scaleId = await connection('scale', bouncer.port, 'scale');
    const [kept, revoked] = [await mint(scaleId), await mint(scaleId)];
    const clientConfig = (password, database = 'scale') => ({
      host: '127.0.0.1',
      port: ingressPort,
      database,
      user: LOGIN,
      password,
      ssl: false,
    });
    await until(
      'the agent to admit the credential',
      async () => {
        const client = new pg.Client(clientConfig(kept.password));
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.end();
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      250,
    );

    // 1. Idle sessions.
    const warm = await openSessions(20, clientConfig(kept.password));
    await Promise.all(warm.map((c) => c.end()));
    const base = await settled();
    log(`baseline: RSS ${kib(base.rssBytes)} KiB, ${base.liveTimers} timers; opening ${IDLE} idle sessions`);
    let t = performance.now();
    const revokedClients = await openSessions(REVOKE, clientConfig(revoked.password));
    const idleClients = await openSessions(IDLE - REVOKE, clientConfig(kept.password));
    allClients.push(...revokedClients, ...idleClients);
    const openMs = performance.now() - t;
    const idle = await settled();
    let cpu0 = cpuMs(pid);
    t = performance.now();
    await sleep(SECONDS * 1000);
    const idleCpuPercent = ((cpuMs(pid) - cpu0) / (performance.now() - t)) * 100;
    const sites = Object.entries(idle.timers)
      .map(([site, count]) => ({ site, count, before: base.timers[site] ?? 0 }))
      .sort((a, b) => b.count - a.count);
    result.idle = {
      sessions: IDLE,
      openSeconds: round1(openMs / 1000),
      rssBeforeKiB: kib(base.rssBytes),
      rssAfterKiB: kib(idle.rssBytes),
      rssPerSessionKiB: round1((idle.rssBytes - base.rssBytes) / IDLE / 1024),
      heapPerSessionKiB: round1((idle.heapUsedBytes - base.heapUsedBytes) / IDLE / 1024),
      externalPerSessionKiB: round1((idle.externalBytes - base.externalBytes) / IDLE / 1024),
      timersBefore: base.liveTimers,
      timersAfter: idle.liveTimers,
      timerSites: sites.slice(0, 8),
      resourcesBefore: base.resources,
      resourcesAfter: idle.resources,
      processListenersBefore: base.processListeners,
      processListenersAfter: idle.processListeners,
      idleCpuPercent: round1(idleCpuPercent),
    };
    log('idle:', JSON.stringify(result.idle));

    // 2. Active sessions beside the idle ones.
    const active = await openSessions(ACTIVE, clientConfig(kept.password));
    allClients.push(...active);
    let statements = 0;
    let running = true;
    cpu0 = cpuMs(pid);
    t = performance.now();
    const loops = active.map(async (client) => {
      while (running) {
        await client.query('select 1');
        statements += 1;
      }
    });
    await sleep(SECONDS * 1000);
    running = false;
    await Promise.all(loops);
    const activeMs = performance.now() - t;
    const activeCpu = cpuMs(pid) - cpu0;
    const busy = { rssBytes: rssBytes(pid) };
    result.active = {
      sessions: ACTIVE,
      besideIdle: IDLE,
      statementsPerSecond: Math.round(statements / (activeMs / 1000)),
      agentCpuUsPerStatement: round1((activeCpu * 1000) / statements),
      agentCpuPercent: round1((activeCpu / activeMs) * 100),
      rssKiB: kib(busy.rssBytes),
      rssPerSessionKiB: round1((busy.rssBytes - base.rssBytes) / (IDLE + ACTIVE) / 1024),
    };
    log('active:', JSON.stringify(result.active));

    // 3. Revocation of one credential's sessions, with every other session still open.
    const ended = revokedClients.map(
      (client) =>
        new Promise((resolve) => {
          client.connection.stream.once('close', () => resolve(performance.now()));
        }),
    );
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    const fromUs = nowUs();
    if (PROFILE) process.kill(pid, 'SIGURG');
    const logsBefore = agent.process.logs.length;
    const wallAt = Date.now();
    t = performance.now();
    await admin('mutation($id: ID!) { revokeConnectionCredential(id: $id) { revokedAt } }', {
      id: revoked.credential.id,
    });
    const mutationMs = performance.now() - t;
    const endedAt = await Promise.all(ended);
    const profileWindow = { fromUs, toUs: nowUs() };
    let profileFile = null;
    if (PROFILE) {
      process.kill(pid, 'SIGURG');
      await until('the CPU profile', () => existsSync(`${probeFile}.cpuprofile`));
      profileFile = join(
        ROOT,
        `bench/results/agent-scale-revocation-${started.toISOString().replace(/:/g, '-').replace(/\..+/, 'Z')}.cpuprofile`,
      );
      writeFileSync(profileFile, readFileSync(`${probeFile}.cpuprofile`));
    }
    const survivors = await Promise.allSettled([...idleClients, ...active].map((c) => c.query('select 1')));
    result.revocation = {
      sessions: REVOKE,
      liveOnAgent: IDLE + ACTIVE,
      mutationMs: round1(mutationMs),
      ...latency(endedAt.map((at) => at - t)),
      // Where the time goes, from the agent's log (pino's `time`, ms): the policy change's
      // arrival, and the first and last session it ended.
      agentLog: (() => {
        const lines = agent.process.logs.slice(logsBefore);
        const at = (line) =>
          line ? (typeof line.time === 'number' ? line.time : Date.parse(line.time)) - wallAt : null;
        const revokedLines = lines.filter((l) => l.msg === 'session revoked');
        return {
          policyAppliedMs: at(lines.find((l) => /^policy (update|snapshot) applied$/.test(l.msg ?? ''))),
          firstSessionRevokedMs: at(revokedLines[0]),
          lastSessionRevokedMs: at(revokedLines.at(-1)),
        };
      })(),
      ...(PROFILE ? { profileWindow, profileFile } : {}),
      othersStillAnswering: survivors.filter((s) => s.status === 'fulfilled').length,
      others: survivors.length,
    };
    log('revocation:', JSON.stringify(result.revocation));

    // 4. Approval round trip (--holds=0 leaves it out).
    if (HOLDS > 0) await approvalRoundTrips();
    async function approvalRoundTrips() {
      const approveId = await connection('approve', 5432, target.name);
      await admin('mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }', {
        input: {
          name: 'bench holds',
          approverGroups: ['approvers'],
          connectionIds: [approveId],
          timeoutSeconds: 300,
          match: { statementKinds: ['UPDATE'], relations: ['holds'] },
        },
      });
      const token = await accessTokenFor(stack.idp, 'bob');
      const approver = (query, variables) => testing.graphql(stack.cp.graphqlUrl, query, variables, token);
      const holderPassword = (await mint(approveId)).password;
      // The new connection and credential reach the agent with the next policy push.
      const holder = await until(
        'the agent to admit the approval connection',
        async () => {
          const client = new pg.Client(clientConfig(holderPassword, 'approve'));
          client.on('error', () => undefined);
          try {
            await client.connect();
            return client;
          } catch {
            return null;
          }
        },
        60_000,
        250,
      );
      allClients.push(holder);
      let firstListedMs = null;
      await until(
        'the approval rule on the agent',
        async () => {
          const notice = new Promise((resolve) => holder.once('notice', resolve));
          const pending = holder.query('UPDATE holds SET n = n + 1 WHERE id = 1');
          const first = await Promise.race([pending.then(() => 'ran'), notice.then(() => 'held')]);
          if (first === 'held') {
            const review = /review ([0-9a-f-]{36})/.exec((await notice).message)?.[1];
            // The first hold waits behind whatever the control plane has not stored yet of this
            // agent's reports (it handles them in order: here the sessions opened and ended above).
            const heldAt = performance.now();
            await until(
              `review ${review} listed`,
              async () =>
                (await admin('{ reviews(kind: "COMMAND", status: "PENDING") { id } }')).reviews.some(
                  (r) => r.id === review,
                ),
              600_000,
              20,
            );
            firstListedMs = performance.now() - heldAt;
            const answer = await approver('mutation($id: ID!) { approveReview(id: $id) { status } }', { id: review });
            if (answer.errors) throw new Error(`approveReview: ${answer.errors[0].message}`);
            await pending;
            return true;
          }
          return false;
        },
        900_000,
        250,
      );
      const rounds = [];
      const failures = [];
      for (let i = 0; i < HOLDS; i += 1) {
        const notice = new Promise((resolve) => holder.once('notice', resolve));
        const pending = holder.query('UPDATE holds SET n = n + 1 WHERE id = 1');
        const review = /review ([0-9a-f-]{36})/.exec((await notice).message)?.[1];
        // The client hears of the hold while the request is on its way to the control plane; an
        // approver acts on what the API lists, so the clock starts once it is listed.
        await until(
          `review ${review} listed`,
          async () =>
            (await admin('{ reviews(kind: "COMMAND", status: "PENDING") { id } }')).reviews.some(
              (r) => r.id === review,
            ),
          30_000,
          5,
        );
        const sent = performance.now();
        const answer = await approver('mutation($id: ID!) { approveReview(id: $id) { status } }', { id: review });
        const mutationDone = performance.now();
        if (answer.errors) failures.push(answer.errors[0].message);
        if (answer.errors) log(`approveReview ${review}: ${answer.errors[0].message}`);
        await pending;
        rounds.push({ total: performance.now() - sent, mutation: mutationDone - sent });
      }
      result.approval = {
        holds: HOLDS,
        firstHoldListedAfterMs: Math.round(firstListedMs),
        liveOnAgent: IDLE - REVOKE + ACTIVE + 1,
        ...latency(rounds.map((r) => r.total)),
        mutation: latency(rounds.map((r) => r.mutation)),
        failures: failures.slice(0, 3),
      };
      log('approval:', JSON.stringify(result.approval));
    }
  } finally {
    await Promise.allSettled(allClients.map((c) => c.end()));
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  result.machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    loadavgBefore: loadBefore,
    loadavgAfter: os.loadavg(),
    note: 'shared 2-core machine: other engineers\u2019 builds and tests ran at the same time',
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(
    ROOT,
    `bench/results/agent-scale-${started.toISOString().replace(/:/g, '-').replace(/\..+/, 'Z')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const { idle, active, revocation, approval } = result;
  console.log(`| measure | value |
| --- | --- |
| ${IDLE} idle sessions: agent RSS per session | ${idle.rssPerSessionKiB} KiB (heap ${idle.heapPerSessionKiB} KiB, external ${idle.externalPerSessionKiB} KiB) |
| live timers, before → with ${IDLE} idle sessions | ${idle.timersBefore} → ${idle.timersAfter} |
| agent CPU while ${IDLE} sessions idle | ${idle.idleCpuPercent} % of one core |
| ${ACTIVE} active beside ${IDLE} idle: statements/s, agent CPU per statement | ${active.statementsPerSecond}/s, ${active.agentCpuUsPerStatement} µs |
| RSS per session with ${IDLE + ACTIVE} open | ${active.rssPerSessionKiB} KiB |
| revocation of ${REVOKE} sessions (${revocation.liveOnAgent} live): p50 / p99 / max | ${revocation.p50Ms} / ${revocation.p99Ms} / ${revocation.maxMs} ms (others answering ${revocation.othersStillAnswering}/${revocation.others}) |
${
  approval
    ? `| approval round trip (${HOLDS} holds): p50 / p99 / max | ${approval.p50Ms} / ${approval.p99Ms} / ${approval.maxMs} ms (mutation alone p50 ${approval.mutation.p50Ms}, p99 ${approval.mutation.p99Ms}) |
`
    : ''
}load ${loadBefore.map((l) => l.toFixed(1)).join(' ')} → ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`);
  console.log(`raw: ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
