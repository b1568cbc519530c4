#!/usr/bin/env node
// Fleet benchmark: one control plane (built dist, its own database and Redis prefix) serving N
// agents, driven by a light load generator process (bench/fleet-agents.mjs) that speaks the real
// gRPC contract. A benchmark, not a test: it measures and reports, it asserts nothing.
//
//   node bench/fleet.mjs [--agents=1000]
//
// Measures: control-plane RSS idle and with N agents (and per agent); time until all N are
// ONLINE; after a control-plane restart (SIGTERM, same port), the time until all N are back with
// no stream errors, the agents reconnecting on their real backoff schedule; the time for a policy
// change (createGuardrail) to reach every stream, and how many got a delta vs a full snapshot.
// Writes bench/results/fleet-<date>.json and prints a markdown summary.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const testing = await import(join(ROOT, 'libs/testing/dist/index.js'));
const N = Number(/--agents=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 1000);
/** Every agent is a replica in one group serving these connections, under these guardrails. */
const CONNECTIONS = 10;
const GUARDRAILS = 20;

/** Resident set size of a process in bytes; 0 while it is gone (between stop and restart). */
function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
const mib = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
const log = (...args) => console.error(`[fleet ${new Date().toISOString().slice(11, 19)}]`, ...args);

/** A request/response channel to the generator over IPC. */
function generator() {
  const child = fork(join(ROOT, 'bench/fleet-agents.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m);
    else w?.reject(new Error(m.error));
  });
  return {
    child,
    call: (cmd, extra = {}) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, ...extra });
      }),
  };
}

async function until(what, probe, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`still waiting for ${what}: ${JSON.stringify((await generatorStats?.()) ?? {})}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

let generatorStats = null;

async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  const database = await testing.createTestDatabase('postern_bench_fleet');
  const options = {
    databaseUrl: database.url,
    grpcPort: await testing.freePort(),
    redisPrefix: `postern-bench-fleet-${randomBytes(4).toString('hex')}`,
    adminToken: randomBytes(32).toString('base64url'),
    // Production heartbeat settings (the test harness uses 200 ms), info logs.
    env: {
      POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '10000',
      POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '30000',
      POSTERN_LOG_LEVEL: 'info',
      POSTERN_SHUTDOWN_GRACE_MS: '10000',
    },
  };
  let cp = await testing.startControlPlane(options);
  const admin = async (query, variables) => {
    const r = await cp.admin(query, variables);
    if (r.errors) throw new Error(r.errors.map((e) => e.message).join('; '));
    return r.data;
  };
  const onlineCount = async () => (await admin('query { agents(status: ONLINE) { id } }')).agents.length;
  const gen = generator();
  generatorStats = async () => {
    const { welcomed, arrived, errors, reconnectAttempts } = (await gen.call('stats')).stats;
    return { welcomed, arrived, errors, reconnectAttempts };
  };
  /** Warnings and errors the control plane logged (pino levels 40+), across restarts. */
  const cpProblems = [];
  const collectProblems = (proc) => {
    for (const line of proc.logs) if ((line.level ?? 0) >= 40) cpProblems.push(line);
  };
  const result = { agents: N, startedAt: started.toISOString(), machine: {}, phases: {} };
  try {
    await sleep(2000);
    const rssIdle = rss(cp.process.pid);
    log(`control plane idle RSS ${mib(rssIdle)} MiB; creating ${N} agents`);

    // A realistic policy: all agents replicas in one group serving CONNECTIONS connections, each
    // with an access rule, and GUARDRAILS guardrails, so a snapshot is a few KiB.
    const groupId = (await admin('mutation { createAgentGroup(name: "bench-pool") { id } }')).createAgentGroup.id;
    for (let c = 0; c < CONNECTIONS; c += 1) {
      const connection = await admin(
        'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
        {
          input: {
            name: `bench_db_${c}`,
            protocol: 'POSTGRES',
            agentGroupId: groupId,
            targetHost: '127.0.0.1',
            targetPort: 5432,
            targetDatabase: `bench_db_${c}`,
            targetUser: 'postgres',
            secretRef: 'env:BENCH_UNUSED',
            tlsMode: 'disable',
          },
        },
      );
      await admin(
        'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["dba", "oncall"], operations: ["read", "write"] }) { id } }',
        { id: connection.createConnection.id },
      );
    }
    for (let g = 0; g < GUARDRAILS; g += 1) {
      await admin(
        'mutation($n: String!, $r: [String!]) { createGuardrail(input: { name: $n, match: { statementKinds: ["DELETE"], relations: $r } }) { id } }',
        { n: `bench guardrail ${g}`, r: [`public.table_${g}`] },
      );
    }

    let t = Date.now();
    const specs = [];
    let i = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (i < N) {
          const name = `bench-${String(i++).padStart(5, '0')}`;
          const created = await admin(
            'mutation($n: String!, $g: ID) { createAgent(input: { name: $n, agentGroupId: $g }) { agent { id } enrollment { token } } }',
            { n: name, g: groupId },
          );
          specs.push({ name, token: created.createAgent.enrollment.token });
        }
      }),
    );
    result.phases.createAgentsMs = Date.now() - t;
    await gen.call('init', { address: `127.0.0.1:${options.grpcPort}`, agents: specs });
    t = Date.now();
    const enrolled = await gen.call('enroll');
    result.phases.enrollMs = Date.now() - t;
    result.phases.enrolled = enrolled.enrolled;
    log(`created in ${result.phases.createAgentsMs} ms, enrolled ${enrolled.enrolled} in ${result.phases.enrollMs} ms`);

    // N Control streams at once; peak RSS sampled while they come up.
    let peak = rssIdle;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(cp.process.pid))), 100);
    sampler.unref();
    t = Date.now();
    await gen.call('connect');
    await until('all agents ONLINE', async () => (await onlineCount()) === N, 300_000);
    result.phases.allOnlineMs = Date.now() - t;
    log(`all ${N} ONLINE after ${result.phases.allOnlineMs} ms`);
    await sleep(12_000); // one heartbeat round at the production interval
    const rssN = rss(cp.process.pid);
    result.rss = {
      idleMiB: mib(rssIdle),
      withAgentsMiB: mib(rssN),
      peakWhileConnectingMiB: mib(peak),
      perAgentKiB: Math.round((rssN - rssIdle) / N / 1024),
      generatorMiB: mib((await gen.call('stats')).stats.rssBytes),
    };
    log(`RSS with ${N} agents ${mib(rssN)} MiB (peak ${mib(peak)})`);

    // A policy change reaches every stream.
    const versionOf = async () =>
      BigInt(
        (await admin('query { agents { policyVersion } }')).agents.reduce(
          (m, a) => (BigInt(a.policyVersion ?? 0) > m ? BigInt(a.policyVersion ?? 0) : m),
          0n,
        ),
      );
    const before = await versionOf();
    t = Date.now();
    await admin(
      'mutation { createGuardrail(input: { name: "bench: no drop", match: { statementKinds: ["DROP"] } }) { id } }',
    );
    const mutationMs = Date.now() - t;
    const version = String(before + 1n);
    const push = await until(
      'the policy change on every stream',
      async () => {
        const { stats } = await gen.call('stats', { version });
        return stats.arrived === N ? stats : null;
      },
      120_000,
      100,
    );
    result.policyPush = {
      version,
      snapshotBytes: push.snapshotBytes,
      mutationMs,
      allReceivedMs: push.lastArrivalAt - t,
      deltas: push.deltas,
      snapshots: push.snapshots,
    };
    log(`policy ${version} on all ${N} streams after ${result.policyPush.allReceivedMs} ms (${push.deltas} deltas)`);
    await sleep(3000);
    const stale = (await admin('query { agents(stalePolicy: true) { id } }')).agents.length;
    result.policyPush.staleAfter3s = stale;

    // Restart the control plane on the same port; agents reconnect on their backoff schedule.
    const errorsBefore = (await gen.call('stats')).stats.errors;
    peak = 0;
    const stopAt = Date.now();
    await cp.process.stop('SIGTERM', 30_000);
    collectProblems(cp.process);
    const stoppedMs = Date.now() - stopAt;
    cp = await testing.startControlPlane(options);
    const upAt = Date.now();
    log(`control plane restarted (stop ${stoppedMs} ms, down ${upAt - stopAt} ms); waiting for ${N} reconnects`);
    const back = await until(
      'all agents back',
      async () => {
        const { stats } = await gen.call('stats');
        return stats.welcomed === N ? stats : null;
      },
      300_000,
      100,
    );
    const allWelcomedMs = back.lastWelcomeAt - upAt;
    await until('all agents ONLINE again', async () => (await onlineCount()) === N, 120_000);
    const allOnlineMs = Date.now() - upAt;
    const afterStats = (await gen.call('stats')).stats;
    await sleep(12_000);
    clearInterval(sampler);
    result.restart = {
      shutdownMs: stoppedMs,
      downMs: upAt - stopAt,
      allReconnectedAfterUpMs: allWelcomedMs,
      allOnlineInGraphqlAfterUpMs: allOnlineMs,
      reconnectAttempts: afterStats.reconnectAttempts,
      streamErrors: afterStats.errors - errorsBefore,
      errorSamples: afterStats.errorSamples,
      rssAfterReconnectMiB: mib(rss(cp.process.pid)),
      peakRssMiB: mib(peak),
    };
    log(`all reconnected ${allWelcomedMs} ms after the control plane was up; errors ${result.restart.streamErrors}`);
  } finally {
    result.machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memGiB: Math.round(os.totalmem() / 1073741824),
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: os.loadavg(),
      note: 'shared, busy 2-core machine: other builds and test suites ran at the same time',
    };
    await gen.call('stop').catch(() => undefined);
    await cp.process.stop().catch(() => undefined);
    collectProblems(cp.process);
    result.controlPlaneWarnings = cpProblems.length;
    result.controlPlaneWarningSamples = [
      ...new Set(cpProblems.map((l) => `${l.msg}${l.err ? `: ${l.err.message}` : ''}`)),
    ].slice(0, 10);
    if (cpProblems.length)
      log(`control plane warnings/errors: ${cpProblems.length}`, result.controlPlaneWarningSamples);
    await database.drop().catch(() => undefined);
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${options.redisPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, `bench/results/fleet-${started.toISOString().replace(/:/g, '-').replace(/\..+/, 'Z')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`| agents | RSS idle | RSS with agents | per agent | all ONLINE | policy to all | restart: all back after up | errors |
| --- | --- | --- | --- | --- | --- | --- | --- |
| ${N} | ${result.rss.idleMiB} MiB | ${result.rss.withAgentsMiB} MiB | ${result.rss.perAgentKiB} KiB | ${result.phases.allOnlineMs} ms | ${result.policyPush.allReceivedMs} ms (${result.policyPush.deltas} deltas) | ${result.restart.allReconnectedAfterUpMs} ms | ${result.restart.streamErrors} |`);
  console.log(`raw: ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
