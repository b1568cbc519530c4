// SSH public-key login with keys registered to a user (OpenSSH's own client and ssh-keygen keys;
// a forged signature through ssh2), and access-rule operations (shell, exec, sftp, forward)
// enforced per channel. The harness's test context stands in for the agent's authenticator, whose
// key and operation logic has its own spec (auth/authenticator.spec.ts) and end-to-end test
// (ssh-stack.test.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import ssh2 from 'ssh2';
import { initShellParser } from '@postern/policy-ssh';
import { ALICE, PrivateSshd, runWithPassword, ssh, SshGateway, sshOptions } from './ssh-harness.js';

let sshd: PrivateSshd;
let gateway: SshGateway;
let echo: Server;
const login = `${ALICE.login}+web01`;

function keygen(name: string): { file: string; blob: Buffer } {
  const file = join(sshd.dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  return { file, blob: Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64') };
}

/** OpenSSH with one key and nothing else (no password, no agent). */
function sshWithKey(key: string, command: string[], extra: string[] = []) {
  const options = sshOptions(gateway.port).map((o) =>
    o === 'PreferredAuthentications=password'
      ? 'PreferredAuthentications=publickey'
      : o === 'PubkeyAuthentication=no'
        ? 'PubkeyAuthentication=yes'
        : o,
  );
  return runWithPassword(
    'ssh',
    [
      ...extra,
      ...options,
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
    { password: 'unused' },
  );
}

let registered: { file: string; blob: Buffer };
let stranger: { file: string; blob: Buffer };

beforeAll(async () => {
  await initShellParser();
  sshd = await PrivateSshd.start();
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  gateway = await SshGateway.start({
    web01: {
      host: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      secret: sshd.clientKey,
      hostKeyFingerprint: sshd.fingerprint,
      forwardDestinations: `127.0.0.1:${(echo.address() as AddressInfo).port}`,
    },
  });
  registered = keygen('alice_key');
  stranger = keygen('stranger_key');
  gateway.aliceKeys.push(registered.blob);
});

afterAll(async () => {
  await gateway?.stop();
  await sshd?.stop();
  await new Promise((resolve) => echo?.close(resolve));
});

describe('ssh engine: public-key login', () => {
  test("a key registered to the user logs in as that user, with OpenSSH's client", async () => {
    const result = await sshWithKey(registered.file, ['echo key-ok']);
    expect(result).toMatchObject({ code: 0, stdout: 'key-ok\n' });
    expect(gateway.sessions.at(-1)?.opened[0]?.principal.id).toBe('user-alice');
  });

  test('an unregistered key is refused', async () => {
    const result = await sshWithKey(stranger.file, ['echo nope']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Permission denied');
    expect(result.stdout).toBe('');
  });

  test('a client offering the registered public key but signing with another key is refused', async () => {
    const real = ssh2.utils.parseKey(readFileSync(registered.file)) as ssh2.ParsedKey;
    const other = ssh2.utils.parseKey(readFileSync(stranger.file)) as ssh2.ParsedKey;
    // Presents alice's public key and signs with the stranger's private key.
    const forged = Object.create(other) as ssh2.ParsedKey;
    forged.getPublicSSH = () => real.getPublicSSH();
    const outcome = await new Promise<string>((resolve) => {
      const client = new ssh2.Client();
      client.once('ready', () => (client.end(), resolve('ready')));
      client.once('error', (error) => resolve(error.message));
      client.connect({ host: '127.0.0.1', port: gateway.port, username: login, privateKey: forged as never });
    });
    expect(outcome).toMatch(/authentication methods failed/);
    expect(gateway.sessions.at(-1)?.opened).toEqual([]);
  });
});

describe('ssh engine: access-rule operations', () => {
  afterAll(() => {
    if (gateway) gateway.operations = [[]];
  });

  test('exec only: a shell, sftp and forwarding are refused with a reason, exec runs', async () => {
    gateway.operations = [['exec', 'read']];
    expect(await ssh(gateway.port, login, ['echo exec-ok'])).toMatchObject({ code: 0, stdout: 'exec-ok\n' });
    const shell = await ssh(gateway.port, login, [], { extra: ['-tt'], input: 'echo should-not-run\nexit\n' });
    expect(shell.code).toBe(126);
    expect(shell.stdout + shell.stderr).toContain('does not allow shell');
    expect(shell.stdout).not.toContain('should-not-run\r\n');
    const local = join(sshd.dir, 'ops-source.txt');
    execFileSync('sh', ['-c', `echo payload > ${local}`]);
    const scp = await runWithPassword('scp', [
      ...sshOptions(gateway.port),
      local,
      `${login}@127.0.0.1:${join(sshd.dir, 'ops-copy.txt')}`,
    ]);
    expect(scp.code).not.toBe(0);
    const legacyScp = await runWithPassword('scp', [
      ...sshOptions(gateway.port),
      '-O',
      local,
      `${login}@127.0.0.1:${join(sshd.dir, 'ops-copy.txt')}`,
    ]);
    expect(legacyScp.code).not.toBe(0);
    expect(legacyScp.stderr).toContain('does not allow sftp');
    const port = (echo.address() as AddressInfo).port;
    const forward = await ssh(gateway.port, login, ['-W', `127.0.0.1:${port}`], { input: 'ping\n' });
    expect(forward.code).not.toBe(0);
    expect(forward.stdout).toBe('');
    const refusals = gateway.audits
      .filter((a) => a.details?.['operation'] !== undefined)
      .map((a) => a.details?.['operation']);
    expect(refusals).toEqual(expect.arrayContaining(['shell', 'sftp', 'forward']));
  });

  test('shell and sftp only: exec is refused (exit 126), sftp copies; a second rule adds forward', async () => {
    gateway.operations = [['shell', 'sftp']];
    const exec = await ssh(gateway.port, login, ['echo nope']);
    expect(exec.code).toBe(126);
    expect(exec.stderr).toContain('does not allow exec');
    const local = join(sshd.dir, 'ops-source2.txt');
    execFileSync('sh', ['-c', `echo payload2 > ${local}`]);
    const scp = await runWithPassword('scp', [
      ...sshOptions(gateway.port),
      local,
      `${login}@127.0.0.1:${join(sshd.dir, 'ops-copy2.txt')}`,
    ]);
    expect(scp.code).toBe(0);
    expect(readFileSync(join(sshd.dir, 'ops-copy2.txt'), 'utf8')).toBe('payload2\n');
    gateway.operations = [['shell', 'sftp'], ['forward']];
    const port = (echo.address() as AddressInfo).port;
    const forward = await ssh(gateway.port, login, ['-W', `127.0.0.1:${port}`], { input: 'ping\n' });
    expect(forward).toMatchObject({ code: 0, stdout: 'ping\n' });
  });
});
