// The control plane's SSH relay front door with the real agent and a private sshd: OpenSSH's
// ssh/scp/sftp reach the relay (its host key pinned from GraphQL, never "accept anything"), the
// relay checks the login, then logs in to the agent's SSH engine with the same credential over
// the relay data connection, verifying the host key the agent published in its hello. One stack
// for the whole file.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import {
  queryDatabase,
  startControlPlane,
  startStack,
  type ControlPlaneHandle,
  type StackAgent,
  type TestStack,
} from '@postern/testing';
// The CLI's own ssh invocation (postern connect): its askpass helper and options, run for real.
import {
  askpassHelper,
  CREDENTIAL_VARIABLE,
  pinHostKey,
  sshOptions as cliSshOptions,
} from '../../cli/src/ssh-client.js';
import { freePort, PrivateSshd, runWithPassword, type CommandResult } from './ssh-harness.js';

let sshd: PrivateSshd;
let stack: TestStack;
let agent: StackAgent;
let echo: Server;
let echoPort: number;
let refusedPort: number;
let relayPort: number;
let password: string;
let dir: string;
let knownHosts: string;
let relayKeyFingerprint: string;
let userId: string;
let connectionId: string;
/** A second replica on the same database and Redis prefix, holding no agent stream. */
let replica: ControlPlaneHandle;
let replicaRelayPort: number;
const login = 'alice@example.com+web01';

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (!response.data) throw new Error(response.errors?.[0]?.message ?? 'no data');
  return response.data;
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(program, args, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))),
  );
}

/** OpenSSH options for the relay: its key pinned under the alias GraphQL names, nothing else trusted. */
function relayOptions(method = 'password', port = relayPort): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'HostKeyAlias=postern-relay',
    '-o',
    'LogLevel=ERROR',
    '-o',
    `PreferredAuthentications=${method}`,
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'NumberOfPasswordPrompts=1',
    '-o',
    `Port=${port}`,
  ];
}

function relaySsh(command: string[], options: Parameters<typeof runWithPassword>[2] & { extra?: string[] } = {}) {
  return runWithPassword('ssh', [...relayOptions(), ...(options.extra ?? []), '-l', login, '127.0.0.1', ...command], {
    password,
    ...options,
  });
}

/** Retries while the agent has not yet received the snapshot naming the connection. */
async function relaySshWhenReady(command: string[]): Promise<CommandResult> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await relaySsh(command);
    if (result.code !== 255 || Date.now() > deadline) return result;
  }
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-ssh-relay-'));
  sshd = await PrivateSshd.start();
  const keyFile = join(sshd.dir, 'target_key');
  writeFileSync(keyFile, sshd.clientKey, { mode: 0o600 });
  // The relay's own host key, as an operator makes it.
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'relay_host_key')]);
  relayKeyFingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'relay_host_key.pub')])).split(
    ' ',
  )[1]!;
  // A local service `ssh -L` may reach, and a port it may not.
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as AddressInfo).port;
  refusedPort = await freePort();
  // Every replica serves the same relay key (one file) and joins the internal link.
  const replicaEnv = {
    POSTERN_RELAY_PROTOCOLS: 'postgres,ssh',
    POSTERN_RELAY_SSH_HOST: '127.0.0.1',
    POSTERN_RELAY_SSH_PORT: '0',
    POSTERN_RELAY_SSH_HOST_KEY_FILE: join(dir, 'relay_host_key'),
    POSTERN_INTERNAL_HOST: '127.0.0.1',
    POSTERN_INTERNAL_PORT: '0',
    POSTERN_INTERNAL_SECRET: randomBytes(32).toString('base64'),
    POSTERN_INTERNAL_INSECURE: 'true',
  };
  const redisPrefix = `postern-test-ssh-relay-${randomBytes(4).toString('hex')}`;
  stack = await startStack({ name: 'ssh_relay', controlPlane: { redisPrefix, env: replicaEnv } });
  relayPort = Number((await stack.cp.process.waitForMessage('ssh relay listening'))['port']);
  // The replica starts while the agent enrolls with the first one (which holds its stream).
  [replica, agent] = await Promise.all([
    startControlPlane({
      databaseUrl: stack.database.url,
      redisPrefix,
      adminToken: stack.cp.adminToken,
      env: { ...replicaEnv, POSTERN_INSTANCE_ID: 'ssh-relay-replica' },
    }),
    stack.enrollAgent('ssh-relay-agent', {
      POSTERN_AGENT_SECRET_ALLOW: `file:${keyFile}`,
      POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${sshd.port}`,
    }),
  ]);
  replicaRelayPort = Number((await replica.process.waitForMessage('ssh relay listening'))['port']);
  const created = await admin<{ createConnection: { id: string; forwardDestinations: string[] } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id forwardDestinations } }',
    {
      input: {
        name: 'web01',
        protocol: 'SSH',
        agentId: agent.id,
        targetHost: '127.0.0.1',
        targetPort: sshd.port,
        targetUser: sshd.user,
        secretRef: `file:${keyFile}`,
        hostKeyFingerprint: sshd.fingerprint,
        forwardDestinations: [`127.0.0.1:${echoPort}`],
      },
    },
  );
  expect(created.createConnection.forwardDestinations).toEqual([`127.0.0.1:${echoPort}`]);
  connectionId = created.createConnection.id;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "alice@example.com", groups: ["engineers"] }) { id } }',
  );
  userId = user.createUser.id;
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["shell", "exec", "sftp", "forward"] }) { id } }',
    { c: connectionId },
  );
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  password = minted.mintConnectionCredential.password;
  // The relay's key as a client gets it: GraphQL's known_hosts line, written to a known_hosts file.
  const gateway = await admin<{
    gateway: { relays: { protocol: string; tls: boolean; sshHostKey: { knownHostsLine: string } | null }[] };
  }>('{ gateway { relays { protocol tls sshHostKey { knownHostsLine } } } }');
  const relay = gateway.gateway.relays.find((r) => r.protocol === 'ssh');
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${relay!.sshHostKey!.knownHostsLine}\n`);
}, 180_000);

afterAll(async () => {
  await replica?.process.stop();
  await stack?.stop();
  await sshd?.stop();
  await new Promise((resolve) => echo?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ssh through the relay front door', () => {
  test('GraphQL publishes the relay key and the agent key the agent serves with', async () => {
    const { gateway } = await admin<{
      gateway: {
        relays: { protocol: string; tls: boolean; sshHostKey: { fingerprint: string; hostKeyAlias: string } | null }[];
      };
    }>('{ gateway { relays { protocol tls sshHostKey { fingerprint hostKeyAlias } } } }');
    expect(gateway.relays.find((r) => r.protocol === 'ssh')).toEqual({
      protocol: 'ssh',
      tls: false,
      sshHostKey: { fingerprint: relayKeyFingerprint, hostKeyAlias: 'postern-relay' },
    });
    expect(gateway.relays.find((r) => r.protocol === 'postgres')?.sshHostKey).toBeNull();
    const served = await agent.process.waitForMessage('ssh engine host key');
    const { agent: published } = await admin<{
      agent: { sshHostKeys: { fingerprint: string; publicKey: string; knownHostsLine: string }[] };
    }>('query($id: ID!) { agent(id: $id) { sshHostKeys { fingerprint publicKey knownHostsLine } } }', { id: agent.id });
    expect(published.sshHostKeys).toEqual([
      {
        fingerprint: served['fingerprint'],
        publicKey: served['publicKey'],
        knownHostsLine: `postern-agent-ssh-relay-agent ${String(served['publicKey'])}`,
      },
    ]);
    // The connection lists every key its clients may meet: the relay's, and its agent's.
    const { connection } = await admin<{
      connection: { sshHostKeys: { hostKeyAlias: string; fingerprint: string }[] };
    }>('query($id: ID!) { connection(id: $id) { sshHostKeys { hostKeyAlias fingerprint } } }', { id: connectionId });
    expect(connection.sshHostKeys).toEqual([
      { hostKeyAlias: 'postern-relay', fingerprint: relayKeyFingerprint },
      { hostKeyAlias: 'postern-agent-ssh-relay-agent', fingerprint: served['fingerprint'] },
    ]);
  });

  test('exec: output, stderr and the exit code come back', async () => {
    const result = await relaySshWhenReady(['echo relayed-$((6*7)); echo oops >&2; exit 3']);
    expect(result).toMatchObject({ code: 3, stdout: 'relayed-42\n', stderr: 'oops\n' });
  });

  test('shell with a pty (ssh -tt): typed commands run, the exit status returns', async () => {
    const result = await relaySsh([], { extra: ['-tt'], input: 'echo shell-$((7*6))\nexit 5\n' });
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('shell-42');
  });

  test('window changes reach the target PTY; an exit signal comes back (ssh2 as the client)', async () => {
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      client.connect({ host: '127.0.0.1', port: relayPort, username: login, password, hostVerifier: () => true });
    });
    try {
      const exec = (command: string, options: ssh2.ExecOptions = {}) =>
        new Promise<ssh2.ClientChannel>((resolve, reject) =>
          client.exec(command, options, (error, channel) => (error ? reject(error) : resolve(channel))),
        );
      const sized = await exec('stty size; read line; stty size', { pty: { rows: 24, cols: 80, term: 'xterm' } });
      let text = '';
      let sawFirst!: () => void;
      const first = new Promise<void>((resolve) => (sawFirst = resolve));
      sized.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('24 80')) sawFirst();
      });
      await first;
      sized.setWindow(50, 132, 0, 0);
      sized.write('go\n');
      const status = await new Promise<number>((resolve) => sized.on('exit', (code: number) => resolve(code)));
      expect(status).toBe(0);
      expect(text).toContain('50 132');
      const killed = await exec("exec sh -c 'kill -TERM $$'");
      const [code, signal] = await new Promise<unknown[]>((resolve) =>
        killed.on('exit', (...args: unknown[]) => resolve(args)),
      );
      expect(code).toBeNull();
      expect(signal).toMatch(/^(SIG)?TERM$/);
    } finally {
      client.end();
    }
  });

  test('keyboard-interactive carries the credential too', async () => {
    const result = await runWithPassword(
      'ssh',
      [...relayOptions('keyboard-interactive'), '-l', login, '127.0.0.1', 'echo kbd'],
      { password, prompt: 'Postern credential' },
    );
    expect(result).toMatchObject({ code: 0, stdout: 'kbd\n' });
  });

  test("the CLI's ssh invocation: key pinned from GraphQL, credential from the askpass helper's environment", async () => {
    const { gateway } = await admin<{
      gateway: {
        relays: {
          protocol: string;
          sshHostKey: { hostKeyAlias: string; knownHostsLine: string; fingerprint: string };
        }[];
      };
    }>('{ gateway { relays { protocol sshHostKey { hostKeyAlias knownHostsLine fingerprint } } } }');
    const env = { POSTERN_CONFIG_DIR: join(dir, 'cli') };
    const endpoint = {
      host: '127.0.0.1',
      port: relayPort,
      tls: 'disable' as const,
      caFile: null,
      sshHostKey: gateway.relays.find((r) => r.protocol === 'ssh')!.sshHostKey,
    };
    const pinned = await pinHostKey(env, 'default', endpoint);
    const askpass = await askpassHelper(env);
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      const child = execFile(
        'setsid',
        [
          '-w',
          'ssh',
          '-F',
          '/dev/null',
          ...cliSshOptions(endpoint, pinned),
          '-l',
          login,
          '127.0.0.1',
          'echo askpass-ok',
        ],
        {
          env: {
            PATH: process.env['PATH'] ?? '',
            HOME: tmpdir(),
            SSH_ASKPASS: askpass,
            SSH_ASKPASS_REQUIRE: 'force',
            [CREDENTIAL_VARIABLE]: password,
          },
        },
        (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
      );
      child.stdin?.end();
    });
    expect(result).toEqual({ code: 0, stdout: 'askpass-ok\n' });
  });

  test('scp both ways (SFTP and the legacy protocol), sftp commands', async () => {
    const local = join(dir, 'upload.bin');
    writeFileSync(local, randomBytes(3 * 1024 * 1024 + 17));
    const remote = join(sshd.dir, 'uploaded.bin');
    const target = `${login}@127.0.0.1`;
    const up = await runWithPassword('scp', [...relayOptions(), local, `${target}:${remote}`], { password });
    expect(up.code).toBe(0);
    expect(sha256(remote)).toBe(sha256(local));
    const back = join(dir, 'downloaded.bin');
    const down = await runWithPassword('scp', ['-O', ...relayOptions(), `${target}:${remote}`, back], { password });
    expect(down.code).toBe(0);
    expect(sha256(back)).toBe(sha256(local));
    const sftp = await runWithPassword('sftp', [...relayOptions(), target], {
      password,
      input: `ls ${sshd.dir}\nrm ${remote}\nbye\n`,
    });
    expect(sftp.code).toBe(0);
    expect(sftp.stdout).toContain('uploaded.bin');
  });

  test('ssh -L reaches an allowed destination; a destination not listed is refused', async () => {
    const localPort = await freePort();
    const forward: ChildProcess = spawn(
      'sshpass',
      [
        '-p',
        password,
        'ssh',
        ...relayOptions(),
        '-o',
        'ExitOnForwardFailure=yes',
        '-N',
        '-L',
        `127.0.0.1:${localPort}:127.0.0.1:${echoPort}`,
        '-l',
        login,
        '127.0.0.1',
      ],
      { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '', HOME: tmpdir() } },
    );
    try {
      const socket = await connectWhenListening(localPort, forward);
      const reply = await roundTrip(socket, 'through the tunnel\n');
      expect(reply).toBe('through the tunnel\n');
    } finally {
      forward.kill('SIGTERM');
    }
    // -W is the same direct-tcpip channel as -L, on stdin/stdout.
    const refused = await relaySsh([], { extra: ['-W', `127.0.0.1:${refusedPort}`] });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/forwarding failed|open failed/);
    // Refused by the agent, by the connection's forwardDestinations (the relay decides nothing).
    await agent.process.waitForMessage('ssh local forwarding refused');
  });

  test('a wrong credential and an unknown connection get the same answer', async () => {
    const wrong = await runWithPassword('ssh', [...relayOptions(), '-l', login, '127.0.0.1', 'true'], {
      password: `${password.slice(0, -4)}AAAA`,
    });
    const unknown = await runWithPassword(
      'ssh',
      [...relayOptions(), '-l', 'alice@example.com+nosuchhost', '127.0.0.1', 'true'],
      { password },
    );
    expect(wrong.code).toBe(255);
    expect(wrong.stderr).toMatch(/Permission denied/);
    expect(unknown).toMatchObject({
      code: wrong.code,
      stderr: wrong.stderr.replace(login, 'alice@example.com+nosuchhost'),
    });
  });

  test('garbage at the door closes that connection only', async () => {
    const socket = connect(relayPort, '127.0.0.1');
    const closed = new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
    });
    socket.write('SSH-2.0-fuzz\r\n');
    socket.write(randomBytes(4096));
    expect(await closed).toMatch(/^SSH-2\.0-Postern/);
    const after = await relaySsh(['echo still-serving']);
    expect(after).toMatchObject({ code: 0, stdout: 'still-serving\n' });
  });

  test('a client of the replica without the agent stream is served through the internal link', async () => {
    const result = await runWithPassword(
      'ssh',
      [...relayOptions('password', replicaRelayPort), '-l', login, '127.0.0.1', 'echo via-the-other-replica'],
      { password },
    );
    expect(result).toMatchObject({ code: 0, stdout: 'via-the-other-replica\n' });
    // The replica logged the client in and spoke SSH to the agent through the link; the holder piped.
    await stack.cp.process.waitForMessage('relay client forwarded by another replica');
  });

  test('revoking the credential ends a relayed session, with the reason on stderr', async () => {
    const minted = await admin<{ mintConnectionCredential: { password: string; credential: { id: string } } }>(
      'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 600 }) { password credential { id } } }',
      { c: connectionId, u: userId },
    );
    // The relay reads the new credential from the database at once; the agent knows it once its
    // policy snapshot carries it, and refuses the login until then: start again until it runs.
    const deadline = Date.now() + 30_000;
    let running: Promise<CommandResult>;
    for (;;) {
      let sawStart!: () => void;
      const startedOutput = new Promise<void>((resolve) => (sawStart = resolve));
      running = runWithPassword('ssh', [...relayOptions(), '-l', login, '127.0.0.1', 'echo started; sleep 60'], {
        password: minted.mintConnectionCredential.password,
        timeoutMs: 90_000,
        onSpawn: (child) =>
          child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('started') && sawStart()),
      });
      // Revoked once the command runs (its session is open on the agent then).
      const started = await Promise.race([startedOutput.then(() => true), running.then(() => false)]);
      if (started) break;
      const refused = await running;
      if (refused.code !== 255 || Date.now() > deadline) throw new Error(`never started: ${refused.stderr}`);
    }
    await admin('mutation($id: ID!) { revokeConnectionCredential(id: $id) { id } }', {
      id: minted.mintConnectionCredential.credential.id,
    });
    const result = await running;
    // Ended by the revocation, not by `sleep 60` (which would exit 0): the agent's reason arrives through the relay.
    expect({ ...result, reasonShown: result.stderr.includes('access revoked') }).toMatchObject({
      code: 255,
      stdout: 'started\n',
      reasonShown: true,
    });
  });

  test('an agent whose host key is not the one it published is refused', async () => {
    const url = stack.database.url;
    const [row] = await queryDatabase<{ host_keys: unknown }>(url, 'SELECT host_keys FROM agents WHERE id = $1', [
      agent.id,
    ]);
    const other = readFileSync(join(dir, 'relay_host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    await queryDatabase(url, 'UPDATE agents SET host_keys = $2 WHERE id = $1', [
      agent.id,
      JSON.stringify([{ protocol: 'ssh', publicKey: other }]),
    ]);
    try {
      const result = await relaySsh(['echo should-not-run']);
      expect(result.code).toBe(255);
      expect(result.stdout).toBe('');
      await stack.cp.process.waitForMessage("ssh relay: the agent's host key is not the one it published; refused");
    } finally {
      await queryDatabase(url, 'UPDATE agents SET host_keys = $2 WHERE id = $1', [
        agent.id,
        JSON.stringify(row!.host_keys),
      ]);
    }
  });
});

/** Connects once the forwarding ssh listens on `port` (it does after authenticating). */
async function connectWhenListening(port: number, forward: ChildProcess): Promise<Socket> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (forward.exitCode !== null) throw new Error(`ssh -L exited with ${forward.exitCode}`);
    const socket = await new Promise<Socket | null>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (socket) return socket;
    if (Date.now() > deadline) throw new Error('ssh -L never listened');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length >= text.length) {
        socket.end();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('public-key login through the relay', () => {
  let registered: string;
  let stranger: string;
  let keyId: string;

  /** OpenSSH offering one key and nothing else (no password, no agent) to the relay. */
  const withKey = (key: string, command: string[], onSpawn?: (child: ChildProcess) => void) =>
    runWithPassword(
      'ssh',
      [
        ...relayOptions('publickey').map((o) => (o === 'PubkeyAuthentication=no' ? 'PubkeyAuthentication=yes' : o)),
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'IdentityAgent=none',
        '-i',
        key,
        '-l',
        login,
        '127.0.0.1',
        ...command,
      ],
      { password: 'unused', timeoutMs: 90_000, ...(onSpawn ? { onSpawn } : {}) },
    );

  beforeAll(async () => {
    registered = join(dir, 'alice_relay_key');
    stranger = join(dir, 'stranger_relay_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice relay', '-f', registered]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const added = await admin<{ addSshKey: { id: string } }>(
      'mutation($u: ID!, $k: String!) { addSshKey(userId: $u, input: { publicKey: $k }) { id } }',
      { u: userId, k: readFileSync(`${registered}.pub`, 'utf8') },
    );
    keyId = added.addSshKey.id;
  });

  test('ssh -i with a key registered to the user logs in (BatchMode: no password to fall back on)', async () => {
    // The relay reads keys from the database at once; the agent knows the key once its policy
    // snapshot carries it: until then the agent refuses the login, so retry for a while.
    const deadline = Date.now() + 30_000;
    let result: CommandResult;
    do result = await withKey(registered, ['echo relayed-key-ok']);
    while (result.code === 255 && Date.now() < deadline);
    expect(result).toMatchObject({ code: 0, stdout: 'relayed-key-ok\n' });
  });

  test('removing the key ends the session it opened through the relay, with the reason', async () => {
    let sawStart!: () => void;
    const startedOutput = new Promise<void>((resolve) => (sawStart = resolve));
    const running = withKey(registered, ['echo started; sleep 60'], (child) =>
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('started') && sawStart()),
    );
    const started = await Promise.race([startedOutput.then(() => true), running.then(() => false)]);
    expect(started).toBe(true);
    // The agent admitted the key itself, so its removal (pushed to the agent) ends the session.
    await admin('mutation($id: ID!) { removeSshKey(id: $id) { id } }', { id: keyId });
    const result = await running;
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('started\n');
    expect(result.stderr).toMatch(/Postern: .*(revoked|removed)/);
  });

  test('a key not registered to anyone is refused', async () => {
    const result = await withKey(stranger, ['echo nope']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Permission denied');
    expect(result.stdout).toBe('');
  });
});
