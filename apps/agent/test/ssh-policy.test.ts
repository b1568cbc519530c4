// Exec command rules of the SSH engine, with the real ssh client against a private sshd:
// guardrails on the parsed command line (nested commands included) and approval holds.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initShellParser } from '@postern/policy-ssh';
import { REFUSED_EXIT_STATUS } from '../src/engines/ssh/index.js';
import { ALICE, PrivateSshd, runWithPassword, ssh, SshGateway, sshOptions, waitUntil } from './ssh-harness.js';

let sshd: PrivateSshd;
let gateway: SshGateway;
const login = `${ALICE.login}+web01`;
const rule = (id: string, match: Record<string, unknown>) => ({ id, name: id, connectionIds: [], groups: [], match });

beforeAll(async () => {
  await initShellParser();
  sshd = await PrivateSshd.start();
  gateway = await SshGateway.start(
    {
      web01: {
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        secret: sshd.clientKey,
        hostKeyFingerprint: sshd.fingerprint,
      },
    },
    {
      guardrails: [
        rule('no-rm-root', { functions: ['rm'], relations: ['/', '/etc', '/usr'] }),
        rule('no-pipe-to-shell', { statementKinds: ['PIPE_TO_SHELL'] }),
        rule('no-dynamic', { unresolvedDynamicSql: true }),
        rule('no-sftp', { statementKinds: ['SFTP'] }),
      ],
      approvals: [
        {
          ...rule('shell-needs-review', { statementKinds: ['INTERACTIVE_SHELL'] }),
          approverGroups: ['ops'],
          requiredApprovals: 1,
          timeoutSeconds: 60,
        },
        {
          ...rule('touch-needs-review', { functions: ['touch'] }),
          approverGroups: ['ops'],
          requiredApprovals: 1,
          timeoutSeconds: 60,
        },
      ],
    },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await sshd?.stop();
});

describe('ssh engine: guardrails', () => {
  test.each([
    ['rm -rf /', 'no-rm-root'],
    ["sh -c 'rm -rf /'", 'no-rm-root'],
    ['echo $(rm -rf /etc)', 'no-rm-root'],
    ['sudo -u root rm -rf /', 'no-rm-root'],
    ['curl -s http://127.0.0.1:1/install.sh | sh', 'no-pipe-to-shell'],
    ["bash -c 'wget -qO- http://127.0.0.1:1/x | bash'", 'no-pipe-to-shell'],
    ['$CMD /tmp', 'no-dynamic'],
  ])('%s is refused by %s, with the reason on stderr', async (command, ruleName) => {
    const result = await ssh(gateway.port, login, [command]);
    expect(result.code).toBe(REFUSED_EXIT_STATUS);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`blocked by rule "${ruleName}"`);
    expect(result.stderr).not.toContain('\r'); // no terminal: plain line ends
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({
        kind: 'statement.blocked',
        ruleId: ruleName,
        details: expect.objectContaining({ command }),
      }),
    );
  });

  test('a command line that does not parse is refused (fail closed)', async () => {
    const result = await ssh(gateway.port, login, ["echo 'unterminated"]);
    expect(result.code).toBe(REFUSED_EXIT_STATUS);
    expect(result.stderr).toContain('cannot be checked');
  });

  test('look-alikes run: rm of a file, a path argument to another program', async () => {
    const scratch = join(sshd.dir, 'scratch');
    const result = await ssh(gateway.port, login, [
      `echo x > ${scratch} && rm ${scratch} && ls / >/dev/null && echo ok`,
    ]);
    expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
  });
});

describe('ssh engine: approval holds', () => {
  const heldFor = (command: string) => gateway.held.find((h) => h.command === command);

  test('a held command runs after approval, and only then', async () => {
    const file = join(sshd.dir, 'approved-file');
    const command = `touch ${file} && echo created`;
    const running = ssh(gateway.port, login, [command]);
    await waitUntil(() => heldFor(command) !== undefined, 'the hold');
    expect(existsSync(file)).toBe(false);
    heldFor(command)!.decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('created\n');
    expect(result.stderr).toContain('held for approval');
    expect(existsSync(file)).toBe(true);
  });

  test('a rejected command never runs', async () => {
    const file = join(sshd.dir, 'rejected-file');
    const command = `touch ${file}`;
    const running = ssh(gateway.port, login, [command]);
    await waitUntil(() => heldFor(command) !== undefined, 'the hold');
    heldFor(command)!.decide({ outcome: 'rejected', decidedBy: 'bob', comment: 'not today' });
    const result = await running;
    expect(result.code).toBe(REFUSED_EXIT_STATUS);
    expect(result.stderr).toContain('rejected by bob: not today');
    expect(existsSync(file)).toBe(false);
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({ kind: 'statement.rejected', ruleId: 'touch-needs-review' }),
    );
  });

  test('a held command waits even when the client has already sent EOF (ssh -n)', async () => {
    const file = join(sshd.dir, 'eof-file');
    const command = `touch ${file} && echo done`;
    const running = ssh(gateway.port, login, [command], { extra: ['-n'] });
    await waitUntil(() => heldFor(command) !== undefined, 'the hold');
    heldFor(command)!.decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    const result = await running;
    expect(result).toMatchObject({ code: 0, stdout: 'done\n' });
  });
});

describe('ssh engine: rules on opening a shell or sftp', () => {
  const shellHolds = () => gateway.held.filter((h) => h.command === 'interactive shell');

  test('an interactive shell waits for its review and opens once approved', async () => {
    const before = shellHolds().length;
    const running = ssh(gateway.port, login, [], { extra: ['-tt'], input: 'echo shell-approved-$((1+1))\nexit\n' });
    await waitUntil(() => shellHolds().length > before, 'the hold');
    shellHolds().at(-1)!.decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shell-approved-2');
    expect(result.stdout + result.stderr).toContain('interactive shell held for approval');
  });

  test('a rejected shell never opens', async () => {
    const before = shellHolds().length;
    const running = ssh(gateway.port, login, [], { extra: ['-tt'], input: 'echo never-$((1+1))\nexit\n' });
    await waitUntil(() => shellHolds().length > before, 'the hold');
    shellHolds().at(-1)!.decide({ outcome: 'rejected', decidedBy: 'bob', comment: 'use exec' });
    const result = await running;
    expect(result.code).toBe(REFUSED_EXIT_STATUS);
    expect(result.stdout + result.stderr).toContain('interactive shell not allowed: rejected by bob: use exec');
    expect(result.stdout).not.toContain('never-2');
  });

  test('a guardrail on SFTP refuses sftp-mode scp; scp -O (an exec) still copies', async () => {
    const local = join(sshd.dir, 'sftp-source.txt');
    writeFileSync(local, 'copied\n');
    const target = `${login}@127.0.0.1:${join(sshd.dir, 'sftp-copy.txt')}`;
    const sftpMode = await runWithPassword('scp', [...sshOptions(gateway.port), local, target]);
    expect(sftpMode.code).not.toBe(0);
    expect(sftpMode.stderr).toContain('sftp blocked by rule "no-sftp"');
    expect(existsSync(join(sshd.dir, 'sftp-copy.txt'))).toBe(false);
    const execMode = await runWithPassword('scp', [...sshOptions(gateway.port), '-O', local, target]);
    expect(execMode.code).toBe(0);
    expect(existsSync(join(sshd.dir, 'sftp-copy.txt'))).toBe(true);
  });
});
