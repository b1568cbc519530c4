// The SSH engine with real OpenSSH clients (ssh, scp under sshpass) against a private sshd.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initShellParser } from '@postern/policy-ssh';
import { SessionAbortError } from '../src/engines/engine.js';
import { ALICE, PrivateSshd, runWithPassword, ssh, SshGateway, sshOptions, waitUntil } from './ssh-harness.js';

let sshd: PrivateSshd;
let gateway: SshGateway;
const login = (connection = 'web01') => `${ALICE.login}+${connection}`;

beforeAll(async () => {
  await initShellParser();
  sshd = await PrivateSshd.start();
  const target = { host: '127.0.0.1', port: sshd.port, user: sshd.user, secret: sshd.clientKey };
  gateway = await SshGateway.start({
    web01: { ...target, hostKeyFingerprint: sshd.fingerprint },
    // Another key's fingerprint: the target is not who the connection says it is.
    impostor: { ...target, hostKeyFingerprint: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU' },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sshd?.stop();
});

describe('ssh engine: exec', () => {
  test('runs a command with its output, stderr and exit status', async () => {
    const result = await ssh(gateway.port, login(), ['echo out-$((6*7)); echo err-1 >&2; exit 3']);
    expect(result.stdout).toBe('out-42\n');
    expect(result.stderr).toContain('err-1');
    expect(result.code).toBe(3);
  });

  test('passes stdin to the command', async () => {
    const result = await ssh(gateway.port, login(), ['tr a-z A-Z'], { input: 'hello postern\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'HELLO POSTERN\n' });
  });

  test('records the command, its output as asciicast and its exit status', async () => {
    await ssh(gateway.port, login(), ['echo recorded-marker; exit 5']);
    const channel = gateway.events('ssh.channel').find((e) => e['command'] === 'echo recorded-marker; exit 5');
    expect(channel).toMatchObject({ kind: 'exec', asciicast: { version: 2, width: 80, height: 24 } });
    const output = gateway
      .events('ssh.output')
      .filter((e) => e['channel'] === channel!['channel'])
      .map((e) => (e['event'] as [number, string, string])[2])
      .join('');
    // Recorded per session: the channel numbers are per session, so find the session's events.
    expect(output).toContain('recorded-marker');
    const end = gateway.events('ssh.channel.end').find((e) => e['exitStatus'] === 5);
    expect(end).toBeDefined();
  });

  test('a wrong credential is refused', async () => {
    const result = await ssh(gateway.port, login(), ['true'], { password: 'postern_conn_wrong' });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  test('a login name without a connection is refused', async () => {
    const result = await ssh(gateway.port, ALICE.login, ['true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  test('a target whose host key is not the pinned one is refused, audited and explained', async () => {
    const result = await ssh(gateway.port, login('impostor'), ['echo should-not-run']);
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('does not match the key pinned in Postern');
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({ kind: 'target.refused', decision: 'host_key_mismatch' }),
    );
  });
});

describe('ssh engine: shell', () => {
  test('an interactive shell with a PTY runs what is typed and is recorded', async () => {
    const result = await ssh(gateway.port, login(), [], {
      extra: ['-tt'],
      input: 'echo shell-$((40+2))-marker\nexit 0\n',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shell-42-marker');
    const shell = gateway.events('ssh.channel').find((e) => e['kind'] === 'shell');
    expect(shell).toMatchObject({ asciicast: { version: 2, env: { TERM: expect.any(String) } } });
    const output = gateway
      .events('ssh.output')
      .map((e) => (e['event'] as [number, string, string])[2])
      .join('');
    expect(output).toContain('shell-42-marker');
  });
});

describe('ssh engine: file transfer', () => {
  const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  test.each([
    ['sftp (scp default)', []],
    ['scp protocol (exec scp -t/-f)', ['-O']],
  ])('scp of 10 MB both ways is intact: %s', async (_name, mode) => {
    const local = join(sshd.dir, `upload-${mode.length}.bin`);
    const remote = join(sshd.dir, `remote-${mode.length}.bin`);
    const back = join(sshd.dir, `download-${mode.length}.bin`);
    writeFileSync(local, randomBytes(10 * 1024 * 1024));
    const target = `${login()}@127.0.0.1`;
    const up = await runWithPassword('scp', [...sshOptions(gateway.port), ...mode, local, `${target}:${remote}`], {
      timeoutMs: 60_000,
    });
    expect(up).toMatchObject({ code: 0 });
    const down = await runWithPassword('scp', [...sshOptions(gateway.port), ...mode, `${target}:${remote}`, back], {
      timeoutMs: 60_000,
    });
    expect(down).toMatchObject({ code: 0 });
    expect(sha(remote)).toBe(sha(local));
    expect(sha(back)).toBe(sha(local));
    if (mode.length === 0) {
      // SFTP mode: the file operations are recorded with their sizes.
      expect(gateway.events('ssh.sftp')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ op: 'write', path: remote, bytes: 10 * 1024 * 1024, status: 'ok' }),
          expect.objectContaining({ op: 'read', path: remote, bytes: 10 * 1024 * 1024, status: 'ok' }),
        ]),
      );
    } else {
      expect(gateway.events('ssh.channel')).toContainEqual(
        expect.objectContaining({ kind: 'exec', command: expect.stringMatching(/^scp .*-t/) }),
      );
    }
  });
});

describe('ssh engine: revocation', () => {
  test('aborting the session ends a running command within a second, with the reason', async () => {
    const before = gateway.sessions.length;
    const running = ssh(gateway.port, login(), ['echo started; sleep 30']);
    await waitUntil(
      () =>
        gateway.sessions.length > before &&
        (gateway.recorded.get(gateway.sessions.at(-1)!.id) ?? []).some((e) => e.type === 'ssh.output'),
      'the command to start',
    );
    const session = gateway.sessions.at(-1)!;
    const revokedAt = Date.now();
    session.controller.abort(new SessionAbortError('revoked'));
    const result = await running;
    const elapsed = Date.now() - revokedAt;
    expect(result.stdout).toBe('started\n');
    expect(result.stderr).toContain('access revoked');
    expect(result.code).not.toBe(0);
    expect(elapsed).toBeLessThan(1000);
    await session.done;
    expect(session.closed).toEqual([expect.objectContaining({ endReason: 'revoked' })]);
  });
});
