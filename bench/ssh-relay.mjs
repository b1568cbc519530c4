// scp through the control plane's SSH relay versus the agent's local SSH listener and direct, in
// one run, with the CPU the relay (control plane) and the agent spend per MB.
//
//   node bench/ssh-relay.mjs [--mb=50] [--rounds=2] [--execs=10] [--echoes=200]
//
// Needs the repository built, OpenSSH's sshd/ssh/scp and sshpass (CI installs them, .ci/run), the
// machine's PostgreSQL and Redis. Starts a private sshd (free port, its own host key, the current
// user with a key made here), the built control plane with the ssh relay door and the built agent
// (libs/testing's startStack), then interleaves the three paths in rounds: scp of an `mb` MiB file
// up and down (SFTP, OpenSSH's default), median MB/s. CPU per MB: user+system time of the control
// plane's and the agent's processes (/proc/<pid>/stat) during the relay transfers. Then per path:
// sequential `ssh … true` sessions per second and keystroke echo p50/p99 (bench/ssh-common.mjs).
// Results: bench/results/ssh-relay-<date>.json and a markdown table on stdout.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { echoLatency, sessionsPerSecond } from './ssh-common.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { startStack } = await import(`${ROOT}/libs/testing/dist/index.js`);
const ssh2 = (await import(`${ROOT}/apps/agent/node_modules/ssh2/lib/index.js`)).default;

const arg = (name, fallback) => {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return Number(flag ? flag.split('=')[1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback));
};
const MB = arg('mb', 50);
const ROUNDS = arg('rounds', 2);
const EXECS = arg('execs', 10);
const ECHOES = arg('echoes', 200);
const user = userInfo().username;
const dir = mkdtempSync(join(tmpdir(), 'postern-bench-ssh-relay-'));

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
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// 1. a private sshd
await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'relay_key')]);
writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
const fingerprint = await new Promise((resolve) =>
  execFile('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')], (_e, out) =>
    resolve(out.split(' ')[1]),
  ),
);
const sshdPort = await freePort();
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
mkdirSync('/run/sshd', { recursive: true });
const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });

// 2. control plane with the ssh relay, and the agent
const localPort = await freePort();
const stack = await startStack({
  name: 'bench_ssh_relay',
  controlPlane: {
    env: {
      POSTERN_RELAY_PROTOCOLS: 'postgres,ssh',
      POSTERN_RELAY_SSH_HOST: '127.0.0.1',
      POSTERN_RELAY_SSH_PORT: '0',
      POSTERN_RELAY_SSH_HOST_KEY_FILE: join(dir, 'relay_key'),
      POSTERN_LOG_LEVEL: 'info',
    },
  },
}).catch((error) => {
  sshd.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  throw error;
});
const cleanup = async () => {
  await stack.stop();
  sshd.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
try {
  const relayPort = Number((await stack.cp.process.waitForMessage('ssh relay listening'))['port']);
  const keyFile = join(dir, 'client_key');
  const agent = await stack.enrollAgent('bench-ssh', {
    POSTERN_AGENT_SSH_LISTEN: `127.0.0.1:${localPort}`,
    POSTERN_AGENT_SECRET_ALLOW: `file:${keyFile}`,
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${sshdPort}`,
    POSTERN_LOG_LEVEL: 'info',
  });
  const admin = async (query, variables = {}) => {
    const response = await stack.cp.admin(query, variables);
    if (!response.data) throw new Error(response.errors?.[0]?.message ?? 'no data');
    return response.data;
  };
  const { createConnection } = await admin(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'bench',
        protocol: 'SSH',
        agentId: agent.id,
        targetHost: '127.0.0.1',
        targetPort: sshdPort,
        targetUser: user,
        secretRef: `file:${keyFile}`,
        hostKeyFingerprint: fingerprint,
      },
    },
  );
  const { createUser } = await admin(
    'mutation { createUser(input: { email: "bench@example.com", groups: ["b"] }) { id } }',
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["b"], operations: ["exec", "sftp"] }) { id } }',
    {
      c: createConnection.id,
    },
  );
  const { mintConnectionCredential } = await admin(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 7200 }) { password } }',
    { c: createConnection.id, u: createUser.id },
  );
  const password = mintConnectionCredential.password;
  const common = [
    '-F',
    '/dev/null',
    '-o',
    'PreferredAuthentications=password,publickey',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
  ];
  const paths = {
    direct: { port: sshdPort, login: user, key: true },
    'agent (local listener)': { port: localPort, login: 'bench@example.com+bench' },
    'relay → agent': { port: relayPort, login: 'bench@example.com+bench' },
  };
  const scp = (path, args) =>
    path.key
      ? run('scp', [...common, '-i', keyFile, '-P', String(path.port), ...args])
      : run('sshpass', [
          '-p',
          password,
          'scp',
          ...common,
          '-o',
          'PubkeyAuthentication=no',
          '-P',
          String(path.port),
          ...args,
        ]);
  const file = join(dir, 'payload.bin');
  writeFileSync(file, randomBytes(MB * 1024 * 1024));
  process.stderr.write('stack up; waiting for the agent to serve the connection\n');
  // The agent receives the snapshot naming the connection shortly after it is created.
  for (let tries = 0; ; tries++) {
    try {
      await scp(paths['relay → agent'], [
        join(dir, 'client_key.pub'),
        `${paths['relay → agent'].login}@127.0.0.1:${dir}/warm`,
      ]);
      break;
    } catch (error) {
      if (tries > 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const cpPid = Number(stack.cp.process.logs.find((l) => l.pid)?.pid);
  const agentPid = Number(agent.process.logs.find((l) => l.pid)?.pid);
  const results = Object.fromEntries(Object.keys(paths).map((name) => [name, { up: [], down: [] }]));
  let relayCpu = { cp: 0, agent: 0, mb: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path] of Object.entries(paths)) {
      const remote = join(dir, `remote-${round}.bin`);
      const back = join(dir, `back-${round}.bin`);
      const before = name.startsWith('relay') ? [cpuSeconds(cpPid), cpuSeconds(agentPid)] : null;
      process.stderr.write(`round ${round + 1}: ${name}\n`);
      const up = await scp(path, [file, `${path.login}@127.0.0.1:${remote}`]);
      const down = await scp(path, [`${path.login}@127.0.0.1:${remote}`, back]);
      if (before) {
        relayCpu = {
          cp: relayCpu.cp + cpuSeconds(cpPid) - before[0],
          agent: relayCpu.agent + cpuSeconds(agentPid) - before[1],
          mb: relayCpu.mb + 2 * MB,
        };
      }
      results[name].up.push(MB / up);
      results[name].down.push(MB / down);
      rmSync(remote, { force: true });
      rmSync(back, { force: true });
    }
  }
  // Sessions per second (`ssh … true`, sequential) and keystroke echo, per path.
  const perPath = {};
  for (const [name, path] of Object.entries(paths)) {
    const session = () =>
      path.key
        ? run('ssh', [...common, '-i', keyFile, '-p', String(path.port), '-l', path.login, '127.0.0.1', 'true'])
        : run('sshpass', [
            '-p',
            password,
            'ssh',
            ...common,
            '-o',
            'PubkeyAuthentication=no',
            '-p',
            String(path.port),
            '-l',
            path.login,
            '127.0.0.1',
            'true',
          ]);
    const auth = path.key ? { privateKey: readFileSync(keyFile, 'utf8') } : { password };
    perPath[name] = {
      sessionsPerSecond: await sessionsPerSecond(session, EXECS),
      echoMs: await echoLatency(ssh2, { port: path.port, username: path.login, ...auth }, ECHOES),
    };
  }
  const direct = { up: median(results.direct.up), down: median(results.direct.down) };
  const rows = Object.entries(results).map(([name, r]) => {
    const up = median(r.up);
    const down = median(r.down);
    const { sessionsPerSecond: rate, echoMs } = perPath[name];
    return `| ${name} | ${up.toFixed(1)} | ${down.toFixed(1)} | ${(up / direct.up).toFixed(2)}× / ${(down / direct.down).toFixed(2)}× | ${rate.toFixed(2)} | ${echoMs.p50.toFixed(2)} / ${echoMs.p99.toFixed(2)} |`;
  });
  const cpu = {
    controlPlaneMsPerMB: (1000 * relayCpu.cp) / relayCpu.mb,
    agentMsPerMB: (1000 * relayCpu.agent) / relayCpu.mb,
  };
  console.log(`scp of ${MB} MiB, median of ${ROUNDS} rounds\n`);
  console.log(
    '| path | scp up (MB/s) | scp down (MB/s) | vs direct (up / down) | sessions/s | echo p50 / p99 (ms) |\n| --- | --- | --- | --- | --- | --- |',
  );
  console.log(rows.join('\n'));
  console.log(
    `\nCPU per MB through the relay: control plane ${cpu.controlPlaneMsPerMB.toFixed(1)} ms, agent ${cpu.agentMsPerMB.toFixed(1)} ms`,
  );
  const stamp = new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, `bench/results/ssh-relay-${stamp}.json`),
    JSON.stringify(
      { mb: MB, rounds: ROUNDS, results, perPath, cpu, load: readFileSync('/proc/loadavg', 'utf8').trim() },
      null,
      2,
    ),
  );
} finally {
  await cleanup();
}
