/* global AbortController */
// SSH through Postern's engine versus direct and a plain TCP relay, measured in one run.
//
//   node bench/ssh.mjs [--mb=100] [--rounds=3] [--execs=20] [--echoes=300] [--only=postern] [--relay] [--compare-ciphers]
//
// Needs the repository built, OpenSSH's sshd/ssh/scp and sshpass (CI installs them, .ci/run).
// Starts a private sshd (free port, its own host key, the current user with a key made here), a
// plain TCP relay to it (node pipe: the baseline proxy) and the agent's SSH engine in this process
// (from apps/agent/dist, no rules, recording to memory), then measures, interleaving the three
// paths in rounds:
//   1. scp of an `mb` MiB file up and down (SFTP, OpenSSH's default): seconds, MB/s, median of rounds;
//   2. `ssh … true` sessions per second (sequential, `execs` of them);
//   3. the engine's CPU per MB moved (this process's user+system CPU during the Postern transfers);
//   4. keystroke echo latency p50/p99: `echoes` single characters typed into a PTY (`cat -u`);
//   5. the cipher and MAC OpenSSH's client negotiated on each path.
// With --relay, then runs bench/ssh-relay.mjs with the same sizes: direct vs the agent's local
// listener vs the control plane's relay, in a real stack (the same measurements, CPU per MB of the
// control plane and the agent).
// Results: bench/results/ssh-<date>.json and a markdown table on stdout.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { echoLatency, sessionsPerSecond } from './ssh-common.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { SshEngine, generateHostKey, parseHostKey } = await import(`${ROOT}/apps/agent/dist/engines/ssh/index.js`);
const { compileCommandPolicy } = await import(`${ROOT}/libs/policy/dist/index.js`);
const { initShellParser, shellAnalyser } = await import(`${ROOT}/libs/policy-ssh/dist/index.js`);
const { createLogger } = await import(`${ROOT}/libs/logging/dist/index.js`);
const ssh2 = (await import(`${ROOT}/apps/agent/node_modules/ssh2/lib/index.js`)).default;

const arg = (name, fallback) => {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return Number(flag ? flag.split('=')[1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback));
};
const MB = arg('mb', 100);
const ROUNDS = arg('rounds', 3);
const EXECS = arg('execs', 20);
const ECHOES = arg('echoes', 300);
const PASSWORD = 'postern_conn_bench';
const user = userInfo().username;
const dir = mkdtempSync(join(tmpdir(), 'postern-bench-ssh-'));
const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
const cleanup = () => {
  for (const step of cleanups.reverse()) {
    try {
      step();
    } catch {
      // best effort
    }
  }
};
process.on('SIGINT', () => (cleanup(), process.exit(130)));

const run = (program, args, env = {}) =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    execFile(
      program,
      args,
      { env: { PATH: process.env.PATH, HOME: dir, ...env }, maxBuffer: 1 << 20 },
      (error, _o, stderr) =>
        error ? reject(new Error(`${program}: ${stderr}`)) : resolve(Number(process.hrtime.bigint() - started) / 1e9),
    );
  });
const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  // 1. sshd
  mkdirSync('/run/sshd', { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')], {
    encoding: 'utf8',
  }).split(' ')[1];
  const probe = createServer();
  const sshdPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${sshdPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  cleanups.push(() => sshd.kill('SIGTERM'));
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const s = connect(sshdPort, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 200) throw new Error('sshd did not start');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  // 2. baseline relay
  const relay = createServer((socket) => {
    const upstream = connect(sshdPort, '127.0.0.1');
    socket.setNoDelay(true);
    upstream.setNoDelay(true);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  const relayPort = await listen(relay);
  cleanups.push(() => relay.close());

  // 3. the engine
  await initShellParser();
  const engine = new SshEngine({ hostKey: parseHostKey(generateHostKey()) });
  const statements = compileCommandPolicy(shellAnalyser(), [], []).forSession('c', []);
  const logger = createLogger({ name: 'bench', level: 'warn', destination: { write: () => undefined } });
  const clientKey = readFileSync(join(dir, 'client_key'), 'utf8');
  let recorded = 0;
  const gatewayFor = (engine) =>
    createServer((socket) =>
      engine.serve(socket, {
        sessionId: randomUUID(),
        ingress: 'local',
        clientAddress: 'bench',
        logger,
        clientTls: null,
        signal: new AbortController().signal,
        resolveConnection: (name, protocol) =>
          name === 'bench' && protocol === 'ssh'
            ? {
                id: 'c',
                name,
                protocol,
                recordingMode: 'best-effort',
                target: {
                  host: '127.0.0.1',
                  port: sshdPort,
                  user,
                  secretRef: 'bench',
                  tls: { mode: 'disable', caRef: null },
                  settings: { hostKeyFingerprint: fingerprint },
                },
              }
            : null,
        authenticate: async (_c, login, password) =>
          password === PASSWORD && login === 'bench'
            ? { ok: true, principal: { id: 'p', kind: 'user', displayName: 'bench', groups: [] } }
            : { ok: false, reason: 'invalid_credential', message: 'no' },
        knowsPublicKey: () => false,
        operations: () => [[]],
        resolveSecret: async () => clientKey,
        dialTarget: async (host) => host,
        revealPassword: () => undefined,
        policy: () => ({ version: '1', statements }),
        requestApproval: () => {
          throw new Error('no approvals in the bench');
        },
        audit: () => undefined,
        record: () => void (recorded += 1),
        opened: () => undefined,
        closed: () => undefined,
      }),
    );
  const gateway = gatewayFor(engine);
  const gatewayPort = await listen(gateway);
  cleanups.push(() => gateway.close());
  // --compare-ciphers: a second engine offering AES-GCM only (the default list has AES-CTR too,
  // which OpenSSH's client prefers: aes128-ctr with hmac-sha2-256-etm).
  const compare = process.argv.includes('--compare-ciphers');
  const gcmEngine = new SshEngine({
    hostKey: parseHostKey(generateHostKey()),
    ciphers: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
  });
  const gcmGateway = gatewayFor(gcmEngine);
  const gcmPort = compare ? await listen(gcmGateway) : 0;
  if (compare) cleanups.push(() => gcmGateway.close());

  const common = [
    '-F',
    '/dev/null',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
  ];
  const allPaths = {
    direct: { port: sshdPort, login: user, key: true },
    'tcp relay': { port: relayPort, login: user, key: true },
    postern: { port: gatewayPort, login: 'bench+bench', key: false },
    ...(compare ? { 'postern, GCM only': { port: gcmPort, login: 'bench+bench', key: false } } : {}),
  };
  // --only=postern: that path alone (to profile the engine: node --cpu-prof bench/ssh.mjs --only=postern).
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const paths = only ? { [only]: allPaths[only] } : allPaths;
  if (only && !allPaths[only]) throw new Error(`--only=${only}: not one of ${Object.keys(allPaths).join(', ')}`);
  const withAuth = (path, program, args) =>
    path.key
      ? [program, [...common, '-i', join(dir, 'client_key'), ...args]]
      : [
          'sshpass',
          [
            '-p',
            PASSWORD,
            program,
            ...common,
            '-o',
            'PreferredAuthentications=password',
            '-o',
            'PubkeyAuthentication=no',
            ...args,
          ],
        ];

  const file = join(dir, 'payload.bin');
  writeFileSync(file, randomBytes(MB * 1024 * 1024));
  const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
  const results = {
    mb: MB,
    rounds: ROUNDS,
    scp: {},
    sessionsPerSecond: {},
    engineCpuMsPerMb: null,
    node: process.version,
  };
  for (const name of Object.keys(paths)) results.scp[name] = { up: [], down: [] };
  const cpu = {};

  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path] of Object.entries(paths)) {
      const remote = join(dir, `remote-${name.replace(' ', '-')}.bin`);
      const back = join(dir, `back-${name.replace(' ', '-')}.bin`);
      const before = process.cpuUsage();
      const up = await run(
        ...withAuth(path, 'scp', ['-P', String(path.port), file, `${path.login}@127.0.0.1:${remote}`]),
      );
      const down = await run(
        ...withAuth(path, 'scp', ['-P', String(path.port), `${path.login}@127.0.0.1:${remote}`, back]),
      );
      if (name.startsWith('postern')) {
        const used = process.cpuUsage(before);
        cpu[name] ??= { us: 0, mb: 0 };
        cpu[name].us += used.user + used.system;
        cpu[name].mb += 2 * MB;
      }
      if (createHash('sha256').update(readFileSync(back)).digest('hex') !== digest)
        throw new Error(`${name}: file changed`);
      rmSync(remote);
      rmSync(back);
      results.scp[name].up.push(up);
      results.scp[name].down.push(down);
    }
  }
  results.engineCpuMsPerMb = cpu.postern ? cpu.postern.us / 1000 / cpu.postern.mb : null;
  results.engineCpuMsPerMbByPath = Object.fromEntries(
    Object.entries(cpu).map(([name, used]) => [name, used.us / 1000 / used.mb]),
  );
  for (const [name, path] of Object.entries(paths)) {
    const session = () =>
      run(...withAuth(path, 'ssh', ['-p', String(path.port), '-l', path.login, '127.0.0.1', 'true']));
    results.sessionsPerSecond[name] = await sessionsPerSecond(session, EXECS);
  }

  // What OpenSSH's client negotiated with each path (the cipher decides most of the CPU per MB).
  results.ciphers = {};
  for (const [name, path] of Object.entries(paths)) {
    const [program, args] = withAuth(path, 'ssh', [
      '-v',
      '-p',
      String(path.port),
      '-l',
      path.login,
      '127.0.0.1',
      'true',
    ]);
    const stderr = await new Promise((resolve) =>
      execFile(program, args, { env: { PATH: process.env.PATH, HOME: dir } }, (_e, _o, err) => resolve(String(err))),
    );
    results.ciphers[name] = /kex: server->client cipher: (\S+) MAC: (\S+)/.exec(stderr)?.slice(1).join(' ') ?? '?';
  }

  // Keystroke echo: one character typed into a PTY (`cat -u` in raw mode echoes it), one at a time.
  results.echoMs = {};
  for (const [name, path] of Object.entries(paths)) {
    const auth = path.key ? { privateKey: clientKey } : { password: PASSWORD };
    results.echoMs[name] = await echoLatency(ssh2, { port: path.port, username: path.login, ...auth }, ECHOES);
  }

  const lines = [
    '| path | scp up (MB/s) | scp down (MB/s) | vs direct | sessions/s | echo p50 / p99 (ms) | client cipher (MAC) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const rate = (seconds) => MB / seconds;
  const baseline = results.scp.direct ?? results.scp[Object.keys(paths)[0]];
  const directUp = rate(median(baseline.up));
  const directDown = rate(median(baseline.down));
  for (const name of Object.keys(paths)) {
    const up = rate(median(results.scp[name].up));
    const down = rate(median(results.scp[name].down));
    results.scp[name].medianMBps = { up, down };
    lines.push(
      `| ${name} | ${up.toFixed(1)} | ${down.toFixed(1)} | ${(up / directUp).toFixed(2)}× / ${(down / directDown).toFixed(2)}× | ${results.sessionsPerSecond[name].toFixed(2)} | ${results.echoMs[name].p50.toFixed(2)} / ${results.echoMs[name].p99.toFixed(2)} | ${results.ciphers[name]} |`,
    );
  }
  lines.push('');
  for (const [name, ms] of Object.entries(results.engineCpuMsPerMbByPath))
    lines.push(`engine CPU (${name}): ${ms.toFixed(2)} ms per MB moved (user+system of the engine's process)`);
  console.log(lines.join('\n'));
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const out = join(ROOT, `bench/results/ssh-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults: ${out}`);
} finally {
  cleanup();
}
// --relay: the same client measurements through the control plane's SSH relay (a whole stack:
// PostgreSQL, Redis, the built control plane and agent), bench/ssh-relay.mjs, after this run.
if (process.argv.includes('--relay')) {
  console.log('\nthrough the relay (bench/ssh-relay.mjs):\n');
  const relayArgs = [`--mb=${MB}`, `--rounds=${ROUNDS}`, `--execs=${EXECS}`, `--echoes=${ECHOES}`];
  execFileSync(process.execPath, [join(ROOT, 'bench/ssh-relay.mjs'), ...relayArgs], { stdio: 'inherit' });
}
process.exit(0);
