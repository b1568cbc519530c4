/* global AbortController */
// HTTP through Postern's engine versus direct and a bare Node proxy, measured in one run with wrk.
//
//   node bench/http.mjs [--seconds=5] [--connections=16] [--rounds=3] [--h2]
//
// --h2 compares HTTP/1.1 and HTTP/2 on the engine's TLS ingress instead (see benchHttp2).
//
// Needs the repository built and `wrk` (apt-get install -y wrk). Starts libs/testing's HTTP
// upstream in a child process, a bare Node proxy (node:http server + http.request with a
// keep-alive Agent, piping both ways: no auth, no rules) and the agent's HTTP engine in this
// process (from apps/agent/dist: a bearer credential checked and removed, the upstream token
// injected, recording to memory; masking off, then a masking rule on `email` plus the email
// detector). For each body — a small JSON document (~200 B) and a 10 MB JSON array — wrk runs
// against direct / bare proxy / Postern (masking off) / Postern (masking on), in that order, for
// each of `rounds` rounds; the table shows each configuration's median round and the median of
// the per-round ratios.
// Results: bench/results/http-<date>.json and a markdown table on stdout, with the load average.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { HttpEngine } = await import(`${ROOT}/apps/agent/dist/engines/http/index.js`);
const { compileCommandPolicy, compileMaskingRules } = await import(`${ROOT}/libs/policy/dist/index.js`);
const { httpAnalyser } = await import(`${ROOT}/libs/policy-http/dist/index.js`);
const { createLogger } = await import(`${ROOT}/libs/logging/dist/index.js`);

const arg = (name, fallback) => {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return Number(flag ? flag.split('=')[1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback));
};
const SECONDS = arg('seconds', 5);
// --only=postern (or direct, bare, masking) with --body=small|large: one configuration, for a
// profile of it (node --cpu-prof bench/http.mjs --only=postern --body=small).
const textArg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? null;
const ONLY = textArg('only');
const BODY = textArg('body');
const ROUNDS = arg('rounds', 3);
const CONNECTIONS = arg('connections', 16);
const TOKEN = 'postern_conn_bench_token';

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

// The upstream in its own process, so that it does not share this process's event loop.
const upstreamProcess = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const { startHttpUpstream } = await import(${JSON.stringify(`${ROOT}/libs/testing/dist/http-upstream.js`)});
     const u = await startHttpUpstream(); console.log(u.port);`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const upstreamPort = await new Promise((resolve) =>
  upstreamProcess.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
);

// Baseline: a bare Node reverse proxy.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const bare = createHttpServer((req, res) => {
  const upstream = httpRequest(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
const barePort = await listen(bare);

// Postern: the engine with a test context.
const hashKey = Buffer.alloc(32, 1);
const statements = compileCommandPolicy(httpAnalyser(), [], []).forSession('c', []);
const maskingOn = compileMaskingRules(
  [
    {
      id: 'm',
      name: 'm',
      connectionIds: [],
      exemptGroups: [],
      spec: { columns: ['email'], detectors: ['email'], style: 'redact' },
    },
  ],
  { hashKey },
);
let masking = null;
const engine = new HttpEngine({ recordBodyBytes: 64 * 1024 });
const logger = createLogger({ name: 'bench', level: 'warn' });
const connection = {
  id: 'c',
  name: 'api',
  protocol: 'http',
  target: {
    host: '127.0.0.1',
    port: upstreamPort,
    user: '',
    secretRef: 'env:BENCH',
    tls: { mode: 'disable', caRef: null },
    settings: { url: `http://127.0.0.1:${upstreamPort}`, authScheme: 'bearer' },
  },
  recordingMode: 'best-effort',
};
let recorded = 0;
const serveEngine = (clientTls) => (socket) => {
  const controller = new AbortController();
  void engine.serve(socket, {
    sessionId: randomUUID(),
    ingress: 'local',
    clientAddress: '127.0.0.1',
    logger,
    clientTls,
    signal: controller.signal,
    resolveConnection: (name) => (name === 'api' ? connection : null),
    authenticate: async (_c, user, password) =>
      password === TOKEN
        ? user === 'bench@example.com'
          ? { ok: true, principal: { id: 'u', kind: 'user', displayName: 'Bench', groups: [] } }
          : { ok: false, reason: 'user_mismatch', message: '', loginNames: ['bench@example.com'] }
        : { ok: false, reason: 'invalid_credential', message: '' },
    resolveSecret: async () => 'upstream-token',
    dialTarget: async () => '127.0.0.1',
    revealPassword: () => undefined,
    policy: () => ({ version: '1', statements, masking: masking?.forSession('c', []) ?? null, hashKey }),
    requestApproval: () => {
      throw new Error('no approvals in the bench');
    },
    audit: () => undefined,
    record: () => void recorded++,
    opened: () => undefined,
    closed: () => undefined,
  });
};
const postern = createServer(serveEngine(null));
const posternPort = await listen(postern);
if (textArg('h2') !== null || process.argv.includes('--h2')) await benchHttp2();

/**
 * --h2: the engine's TLS ingress, HTTP/1.1 (keep-alive https.Agent, `connections` sockets) against
 * HTTP/2 (one node:http2 session, `connections` concurrent streams), small JSON, from a Node client
 * in a child process (wrk speaks no h2), rounds interleaved; this process's CPU per request is
 * the engine's (and TLS's) cost.
 */
async function benchHttp2() {
  const { selfSignedCertificate } = await import(`${ROOT}/libs/testing/dist/tls.js`);
  const { createSecureContext } = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  const cert = await selfSignedCertificate(['localhost']);
  const tlsServer = createServer(
    serveEngine(createSecureContext({ cert: cert.cert, key: readFileSync(cert.keyFile) })),
  );
  const port = await listen(tlsServer);
  const client = `
    const [mode, port, seconds, concurrency, token, ca] = process.argv.slice(1);
    const { readFileSync } = await import('node:fs');
    const options = { ca: readFileSync(ca), servername: 'localhost' };
    const headers = { authorization: 'Bearer ' + token };
    const until = Date.now() + Number(seconds) * 1000;
    let done = 0, failed = 0;
    let one;
    if (mode === 'h2') {
      const session = (await import('node:http2')).connect('https://localhost:' + port, options);
      one = () => new Promise((resolve) => {
        const s = session.request({ ':path': '/c/api/json?size=200', ...headers });
        s.on('response', (h) => { if (h[':status'] !== 200) failed++; });
        s.resume(); s.on('end', resolve); s.on('error', () => { failed++; resolve(); });
      });
    } else {
      const https = await import('node:https');
      const agent = new https.Agent({ keepAlive: true, maxSockets: Number(concurrency), ...options });
      one = () => new Promise((resolve) => {
        https.get({ host: '127.0.0.1', port, path: '/c/api/json?size=200', headers, agent, ...options }, (r) => {
          if (r.statusCode !== 200) failed++;
          r.resume(); r.on('end', resolve);
        }).on('error', () => { failed++; resolve(); });
      });
    }
    await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
      while (Date.now() < until) { await one(); done++; }
    }));
    console.log(JSON.stringify({ done, failed }));
    process.exit(0);`;
  const load = (mode) =>
    new Promise((resolve, reject) => {
      const cpu = process.cpuUsage();
      execFile(
        process.execPath,
        ['--input-type=module', '-e', client, mode, port, SECONDS, CONNECTIONS, TOKEN, cert.certFile],
        (error, stdout) => {
          if (error) return reject(error);
          const used = process.cpuUsage(cpu);
          const { done, failed } = JSON.parse(stdout);
          resolve({ rps: done / SECONDS, failed, cpuUsPerRequest: done > 0 ? (used.user + used.system) / done : 0 });
        },
      );
    });
  const before = loadavg();
  const runs = { h1: [], h2: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.h1.push(await load('h1'));
    runs.h2.push(await load('h2'));
  }
  const after = loadavg();
  console.log(
    `\nload average before ${before.map((l) => l.toFixed(2)).join(' ')}, after ${after.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `TLS ingress, small JSON, ${CONNECTIONS} connections (h1) / streams (h2), ${SECONDS}s x ${ROUNDS} rounds`,
  );
  for (const [mode, list] of Object.entries(runs)) {
    console.log(
      `${mode}: ${list.map((r) => `${r.rps.toFixed(0)} req/s, ${r.cpuUsPerRequest.toFixed(0)} µs CPU/req${r.failed ? ` ⚠ ${r.failed} failed` : ''}`).join(' | ')}`,
    );
  }
  tlsServer.close();
  upstreamProcess.kill();
  await engine.close();
  process.exit(0);
}

const wrk = async (url, connections) => {
  const cpu = process.cpuUsage();
  const result = await wrkRun(url, connections);
  const used = process.cpuUsage(cpu);
  // This process hosts the bare proxy and Postern (never the upstream or wrk): its CPU per request
  // is the proxy's own cost, a steadier figure than req/s on a loaded machine.
  result.cpuUsPerRequest = result.requests > 0 ? (used.user + used.system) / result.requests : 0;
  return result;
};

const wrkRun = (url, connections) =>
  new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t2', `-c${connections}`, `-d${SECONDS}s`, '-H', `Authorization: Bearer ${TOKEN}`, url],
      { maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) return reject(error);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
        const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(stdout);
        const scale = { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer?.[2] ?? 'MB'] ?? 1;
        const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
        const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
        resolve({ rps, mbPerSecond: Number(transfer?.[1] ?? 0) * scale, non2xx, requests });
      },
    );
  });

const bodies = [
  { name: 'small JSON (~200 B)', path: '/json?size=200', connections: CONNECTIONS },
  { name: '10 MB JSON', path: `/json?size=${10 * 1024 * 1024}`, connections: 4 },
];
const results = [];
const loadBefore = loadavg();
const skipped = { rps: 0, mbPerSecond: 0, non2xx: 0, requests: 0, cpuUsPerRequest: 0 };
const run = (name, url, connections) => (ONLY === null || ONLY === name ? wrk(url, connections) : skipped);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)];
};
// The middle round's figures of each configuration (by req/s), and the median of the per-round
// ratios: configurations are interleaved round by round so that the load of the machine's other
// users hits them alike.
const summarise = (runs) => {
  const byRps = [...runs].sort((a, b) => a.rps - b.rps);
  return { ...byRps[Math.floor((byRps.length - 1) / 2)], rounds: runs.map((r) => Math.round(r.rps)) };
};
for (const body of bodies) {
  if (BODY !== null && !body.name.startsWith(BODY === 'large' ? '10 MB' : 'small')) continue;
  const runs = { direct: [], bareProxy: [], postern: [], posternMasking: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.direct.push(await run('direct', `http://127.0.0.1:${upstreamPort}${body.path}`, body.connections));
    runs.bareProxy.push(await run('bare', `http://127.0.0.1:${barePort}${body.path}`, body.connections));
    masking = null;
    runs.postern.push(await run('postern', `http://127.0.0.1:${posternPort}/c/api${body.path}`, body.connections));
    masking = maskingOn;
    runs.posternMasking.push(
      await run('masking', `http://127.0.0.1:${posternPort}/c/api${body.path}`, body.connections),
    );
  }
  const ratio = (a, b) => median(runs[a].map((r, i) => r.rps / (runs[b][i].rps || Number.NaN)));
  results.push({
    body: body.name,
    direct: summarise(runs.direct),
    bareProxy: summarise(runs.bareProxy),
    postern: summarise(runs.postern),
    posternMasking: summarise(runs.posternMasking),
    posternOverBare: ratio('postern', 'bareProxy'),
    maskingOnOverOff: ratio('posternMasking', 'postern'),
  });
}
const loadAfter = loadavg();

const f = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
console.log(
  `\nload average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; wrk -t2 ${SECONDS}s\n`,
);
console.log('| body | direct | bare Node proxy | Postern | Postern + masking | Postern / bare | masking on / off |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const cell = (x) =>
    `${f(x.rps)} req/s (${f(x.mbPerSecond)} MB/s${x.cpuUsPerRequest ? `, ${f(x.cpuUsPerRequest)} µs CPU/req` : ''})${x.non2xx ? ` ⚠ ${x.non2xx} non-2xx` : ''}`;
  console.log(
    `| ${r.body} | ${cell(r.direct)} | ${cell(r.bareProxy)} | ${cell(r.postern)} | ${cell(r.posternMasking)} | ` +
      `${r.posternOverBare.toFixed(2)} | ${r.maskingOnOverOff.toFixed(2)} |`,
  );
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const file = join(ROOT, `bench/results/http-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(
  file,
  JSON.stringify(
    {
      seconds: SECONDS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      loadBefore,
      loadAfter,
      results,
      recordedCalls: recorded,
    },
    null,
    2,
  ),
);
console.log(`\nwritten ${file}`);

upstreamProcess.kill();
postern.close();
bare.close();
agent.destroy();
await engine.close();
process.exit(0);
