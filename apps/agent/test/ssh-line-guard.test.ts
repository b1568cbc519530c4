// The advisory line guard in an interactive shell: OpenSSH's `ssh -tt` on a real PTY (the one
// sshpass gives it; ssh puts it in raw mode, so every byte written here is a keystroke) to bash
// on the private sshd, through the engine. Lines are rebuilt from the keystrokes and checked at
// Enter: blocked lines never run, held lines wait for the decision, edits the guard cannot follow
// are refused, and input to a running program is not taken for a command.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { initShellParser } from '@postern/policy-ssh';
import { ALICE, PrivateSshd, SshGateway, sshOptions, waitUntil } from './ssh-harness.js';

let sshd: PrivateSshd;
let gateway: SshGateway;
const login = `${ALICE.login}+web01`;
const rule = (id: string, match: Record<string, unknown>) => ({ id, name: id, connectionIds: [], groups: [], match });
const PROMPT = '\x1b[?2004h';

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
      guardrails: [rule('no-rm', { functions: ['rm'] })],
      approvals: [
        {
          ...rule('touch-needs-review', { functions: ['touch'] }),
          approverGroups: ['ops'],
          requiredApprovals: 1,
          timeoutSeconds: 60,
        },
      ],
    },
  );
  gateway.operations = [['shell', 'exec', 'line-guard']];
});

afterAll(async () => {
  await gateway?.stop();
  await sshd?.stop();
});

/** An interactive ssh session: keystrokes in, everything the terminal shows out. */
class Terminal {
  output = '';
  readonly exited: Promise<number | null>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (text: string) => (this.output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.output += text));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static open(): Terminal {
    const child = spawn(
      'sshpass',
      ['-p', ALICE.password, 'ssh', '-tt', ...sshOptions(gateway.port), '-l', login, '127.0.0.1'],
      {
        env: { PATH: process.env['PATH'] ?? '', HOME: tmpdir(), TERM: 'xterm' },
      },
    );
    return new Terminal(child);
  }

  prompts(): number {
    return this.output.split(PROMPT).length - 1;
  }

  /** Sends keystrokes. */
  async type(keys: string): Promise<void> {
    this.child.stdin.write(keys);
  }

  async waitFor(text: string | (() => boolean), what: string): Promise<void> {
    try {
      await waitUntil(typeof text === 'string' ? () => this.output.includes(text) : text, what, 30_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the terminal shows ${JSON.stringify(this.output.slice(-400))}`);
    }
  }
}

describe('ssh engine: line guard in an interactive shell', () => {
  test('checks each typed line at Enter, as edited, at the prompt only', async () => {
    const victim = join(sshd.dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const term = Terminal.open();
    await term.waitFor(() => term.prompts() >= 1, 'the first prompt');

    // An allowed line runs (quotes and all).
    await term.type("echo gu''ard-ok\r");
    await term.waitFor('guard-ok\r\n', 'the allowed output');
    await term.waitFor(() => term.prompts() >= 2, 'the next prompt');

    // A blocked line, typed with a typo and backspace: refused, never run.
    await term.type(`rmx\x7f -f ${victim}\r`);
    await term.waitFor('blocked by rule "no-rm"', 'the refusal');
    await term.waitFor(() => term.prompts() >= 3, 'the prompt after ^C');
    expect(existsSync(victim)).toBe(true);

    // Hiding the command behind ^U: the guard sees what the shell would run.
    await term.type(`echo harmless\x15rm -f ${victim}\r`);
    await term.waitFor(() => term.output.split('blocked by rule "no-rm"').length - 1 >= 2, 'the second refusal');
    await term.waitFor(() => term.prompts() >= 4, 'the prompt');
    expect(existsSync(victim)).toBe(true);

    // Tab completion: the guard cannot know what the shell completed, so the line is not sent.
    await term.type('ech\t hi\r');
    await term.waitFor('the line guard cannot follow', 'the completion refusal');
    await term.waitFor(() => term.prompts() >= 5, 'the prompt');

    // A held line: Enter waits for the decision, then runs.
    const held = join(sshd.dir, 'held.txt');
    await term.type(`touch ${held}\r`);
    await waitUntil(() => gateway.held.length === 1, 'the held command');
    expect(gateway.held[0]!.command).toBe(`touch ${held}`);
    expect(existsSync(held)).toBe(false);
    gateway.held[0]!.decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    await term.waitFor(() => term.prompts() >= 6, 'the prompt after the approved line');
    expect(existsSync(held)).toBe(true);

    // Input to a running program is not a command line: `cat` gets it unchecked.
    const blockedBefore = gateway.audits.filter((a) => a.kind === 'statement.blocked').length;
    await term.type('cat\r');
    // Lines typed before the shell took `cat` are type-ahead for the prompt (checked): wait for it.
    await term.waitFor('cat\r\n\x1b[?2004l', 'cat running');
    await term.type(`rm -f ${victim}\r`);
    await term.waitFor(`rm -f ${victim}\r\nrm -f ${victim}\r\n`, 'cat echoing the line');
    await term.type('\x04');
    await term.waitFor(() => term.prompts() >= 7, 'the prompt after cat');
    expect(gateway.audits.filter((a) => a.kind === 'statement.blocked').length).toBe(blockedBefore);
    expect(existsSync(victim)).toBe(true);

    await term.type('exit\r');
    expect(await term.exited).toBe(0);
    const audits = gateway.audits.filter((a) => a.kind === 'statement.blocked').map((a) => a.details?.['command']);
    expect(audits).toEqual([`rm -f ${victim}`, `rm -f ${victim}`, 'ech hi']);
  });
});
