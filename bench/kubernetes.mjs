/* global AbortController */
// Kubernetes API requests through Postern's engine versus direct and a plain TCP relay, in one run.
//
//   node bench/kubernetes.mjs [--requests=500] [--rounds=3]
//
// Needs the repository built. Starts the stand-in API server of libs/testing (no real API server
// runs on these machines), a plain TCP relay to it (node pipe: the baseline proxy) and the agent's
// Kubernetes engine in this process (from apps/agent/dist, no rules, recording to memory), then
// sends `requests` sequential GETs on one keep-alive HTTPS connection per path, interleaving the
// three paths in rounds:
//   1. list pods (a small JSON list): p50/p99 latency, requests per second;
//   2. get a Secret (the engine reads, masks and re-serialises it): p50/p99;
// and this process's CPU per request on the Postern path. Results: bench/results/kubernetes-<date>.json
// and a markdown table on stdout.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { KubernetesEngine } = await import(`${ROOT}/apps/agent/dist/engines/kubernetes/index.js`);
const { compileCommandPolicy } = await import(`${ROOT}/libs/policy/dist/index.js`);
const { kubernetesAnalyser } = await import(`${ROOT}/libs/policy-kubernetes/dist/index.js`);
const { createLogger } = await import(`${ROOT}/libs/logging/dist/index.js`);
const { startStandInApiServer, seedStandIn, selfSignedCertificate } = await import(
  `${ROOT}/libs/testing/dist/index.js`
);

const arg = (name, fallback) => {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return Number(flag ? flag.split('=')[1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback));
};
const REQUESTS = arg('requests', 500);
const ROUNDS = arg('rounds', 3);
const SA_TOKEN = 'bench-service-account-token';
const CREDENTIAL = 'postern_conn_bench_credential';

const apiServer = await startStandInApiServer({ token: SA_TOKEN });
seedStandIn(apiServer.store);
const apiUrl = new URL(apiServer.url);
const ingress = await selfSignedCertificate(['localhost']);
const clientTls = createSecureContext({ cert: ingress.cert, key: readFileSync(ingress.keyFile) });
const logger = createLogger({ name: 'bench', level: 'warn', destination: { write: () => undefined } });
const policy = compileCommandPolicy(kubernetesAnalyser(), [], []);
const engine = new KubernetesEngine({ logger });
const connection = {
  id: 'conn-bench',
  name: 'bench',
  protocol: 'kubernetes',
  target: {
    host: apiUrl.hostname,
    port: Number(apiUrl.port),
    user: '',
    secretRef: 'bench:token',
    tls: { mode: 'verify-full', caRef: 'bench:ca' },
    settings: { url: apiServer.url },
  },
  recordingMode: 'best-effort',
};
let recorded = 0;
const gateway = createServer((socket) => {
  void engine.serve(socket, {
    sessionId: randomUUID(),
    ingress: 'local',
    clientAddress: '127.0.0.1',
    logger,
    clientTls,
    signal: new AbortController().signal,
    resolveConnection: (name) => (name === 'bench' ? connection : null),
    authenticate: async (_c, _user, token) =>
      token === CREDENTIAL
        ? {
            ok: true,
            principal: { id: 'u', kind: 'user', displayName: 'Bench', groups: ['dev'], loginName: 'bench@example.com' },
          }
        : { ok: false, reason: 'invalid_credential', message: 'no' },
    resolveSecret: async (ref) => (ref === 'bench:token' ? SA_TOKEN : apiServer.ca),
    dialTarget: async (host) => host,
    revealPassword: () => undefined,
    policy: () => ({ version: '1', statements: policy.forSession('conn-bench', ['dev']) }),
    requestApproval: () => {
      throw new Error('no approvals in the bench');
    },
    audit: () => undefined,
    record: () => void (recorded += 1),
    opened: () => undefined,
    closed: () => undefined,
  });
});
const relay = createServer((socket) => {
  const upstream = connect(Number(apiUrl.port), '127.0.0.1');
  socket.pipe(upstream).pipe(socket);
  socket.on('error', () => upstream.destroy());
  upstream.on('error', () => socket.destroy());
});
await Promise.all([gateway, relay].map((server) => new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))));

const paths = {
  direct: { port: Number(apiUrl.port), prefix: '', token: SA_TOKEN, ca: apiServer.ca, servername: 'localhost' },
  'tcp relay': { port: relay.address().port, prefix: '', token: SA_TOKEN, ca: apiServer.ca, servername: 'localhost' },
  postern: {
    port: gateway.address().port,
    prefix: '/k8s/bench',
    token: CREDENTIAL,
    ca: ingress.cert,
    servername: 'localhost',
  },
};

function get(path, agent, target) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.prefix}${path}`,
        agent,
        ca: target.ca,
        servername: target.servername,
        headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${Buffer.concat(chunks)}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, target] of Object.entries(paths)) {
    for (const [label, path] of [
      ['list pods', '/api/v1/namespaces/prod/pods'],
      ['get secret', '/api/v1/namespaces/prod/secrets/db'],
    ]) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await get(path, agent, target);
      const cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      const latencies = [];
      for (let i = 0; i < REQUESTS; i++) latencies.push(await get(path, agent, target));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      agent.destroy();
      const key = `${label} · ${name}`;
      (results[key] ??= []).push({
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        perSecond: REQUESTS / seconds,
        cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / REQUESTS,
      });
    }
  }
}
const median = (values) => percentile(values, 50);
const rows = Object.entries(results).map(([key, runs]) => ({
  key,
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  perSecond: median(runs.map((r) => r.perSecond)),
  cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
}));
console.log(`| request · path | p50 ms | p99 ms | req/s | CPU ms/req (bench process: client + stand-in + engine) |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const row of rows) {
  console.log(
    `| ${row.key} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.perSecond.toFixed(0)} | ${row.cpuMsPerRequest.toFixed(2)} |`,
  );
}
const out = join(ROOT, 'bench', 'results');
mkdirSync(out, { recursive: true });
const file = join(out, `kubernetes-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(
  file,
  JSON.stringify({ requests: REQUESTS, rounds: ROUNDS, node: process.version, rows, recorded }, null, 2),
);
console.log(`\nwritten ${file}`);
await apiServer.close();
gateway.close();
relay.close();
process.exit(0);
