import type { Readable, Writable } from 'node:stream';
import type { EngineContext } from '../engine.js';
import { admitCommand } from './command-gate.js';
import { LineTracker } from './line-tracker.js';

/**
 * The access-rule operation that turns the line guard on for a session's interactive shells (a
 * rule or grant admitting the session names it beside `shell`, or alone: see operations.ts).
 */
export const LINE_GUARD_OPERATION = 'line-guard';

/** Output sequences the guard watches for (bash ≥ 5.1 enables bracketed paste at each prompt). */
const PROMPT_ON = Buffer.from('\x1b[?2004h');
const PROMPT_OFF = Buffer.from('\x1b[?2004l');
const ALT_SCREEN_ON = Buffer.from('\x1b[?1049h');
const ALT_SCREEN_OFF = Buffer.from('\x1b[?1049l');
/** Bytes kept from the end of an output chunk, so a sequence split across chunks is still seen. */
const CARRY = 7;
/** Keystrokes queued behind a held line before the client's channel is paused. */
const MAX_QUEUED = 64 * 1024;
/**
 * What replaces a refused line's Enter: ^E ^U (end of line, kill to the start: readline empties its
 * buffer, a multi-line paste included) and an Enter on the now empty line, so the shell shows a
 * fresh prompt. (^C would do too, but bash 5.2 leaves its next readline call without a prompt.)
 */
const DISCARD_LINE = Buffer.from([0x05, 0x15, 0x0d]);

/** Whether the session's access asks for the line guard. */
export function lineGuardWanted(context: EngineContext): boolean {
  return context.operations().some((list) => list.includes(LINE_GUARD_OPERATION));
}

/**
 * Advisory line guard for interactive shells (see docs/security-model.md for what it cannot see):
 * the keystrokes toward the target pass through at once (so echo and editing feel normal) except
 * Enter, which is held while the reconstructed line (line-tracker.ts) is checked by the session's
 * command rules, the same as an exec command. Allowed: Enter goes on. Blocked or rejected: the
 * shell is told to discard the line instead (DISCARD_LINE) and the reason is written on the terminal.
 * Held: Enter waits for the decision; keystrokes typed meanwhile wait behind it (stream
 * backpressure pauses the client's channel).
 *
 * Lines are checked only while the shell is at its prompt: bash turns bracketed-paste mode on at
 * each prompt and off when it runs a line, so input to a running program (a password prompt,
 * `cat`) is not taken for a command. From a shell that never announces it, every line is checked.
 * A full-screen program (alternate screen: editors, pagers) is never checked.
 */
export class LineGuard {
  private readonly tracker = new LineTracker();
  private promptAnnounced = false;
  private atPrompt = false;
  private fullScreen = false;
  private carry: Buffer = Buffer.alloc(0);
  /** Keystrokes waiting behind a line being decided, and their size (bounded: the client is paused). */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private busy = false;
  private ended = false;

  constructor(
    private readonly context: EngineContext,
    private readonly client: Readable,
    private readonly target: Writable,
    /** Writes a message on the client's terminal. */
    private readonly tell: (text: string) => void,
  ) {
    client.on('data', (chunk: Buffer) => this.input(chunk));
    client.once('end', () => {
      this.ended = true;
      if (!this.busy) target.end();
    });
  }

  /** Follows the target's output (prompt and full-screen mode changes). */
  observeOutput(chunk: Buffer): void {
    const view = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const on = view.lastIndexOf(PROMPT_ON);
    const off = view.lastIndexOf(PROMPT_OFF);
    if (on >= 0 || off >= 0) {
      this.promptAnnounced = true;
      this.atPrompt = on > off;
    }
    const altOn = view.lastIndexOf(ALT_SCREEN_ON);
    const altOff = view.lastIndexOf(ALT_SCREEN_OFF);
    if (altOn >= 0 || altOff >= 0) this.fullScreen = altOn > altOff;
    this.carry = Buffer.from(view.subarray(Math.max(0, view.length - CARRY)));
  }

  private input(chunk: Buffer): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > MAX_QUEUED) this.client.pause();
    if (!this.busy) void this.pump();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      for (let chunk = this.queue.shift(); chunk !== undefined; chunk = this.queue.shift()) {
        this.queued -= chunk.length;
        await this.consume(chunk);
        if (this.target.writableNeedDrain) {
          this.client.pause();
          await new Promise<void>((resolve) => {
            const done = (): void => {
              this.target.off('drain', done);
              this.target.off('close', done);
              resolve();
            };
            this.target.on('drain', done);
            this.target.on('close', done);
          });
        }
      }
    } finally {
      this.busy = false;
      this.client.resume();
      if (this.ended) this.target.end();
    }
  }

  private async consume(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.fullScreen || (this.promptAnnounced && !this.atPrompt)) {
        // Input for a running program: not a shell line.
        this.tracker.reset();
        this.target.write(rest);
        return;
      }
      const end = this.tracker.feed(rest);
      if (end < 0) {
        this.target.write(rest);
        return;
      }
      if (end > 1) this.target.write(rest.subarray(0, end - 1));
      const enter = rest.subarray(end - 1, end);
      const line = this.tracker.line;
      this.tracker.reset();
      rest = rest.subarray(end);
      // Until the shell shows it took the line (prompt off), what follows is type-ahead for the prompt.
      this.target.write((await this.admit(line.text, line.certain)) ? enter : DISCARD_LINE);
    }
  }
  private async admit(text: string, certain: boolean): Promise<boolean> {
    if (text.trim() === '') return true;
    const notify = (message: string): void => this.tell(`\r\n${message}\r\n`);
    if (!certain) {
      this.context.audit({
        kind: 'statement.blocked',
        decision: 'blocked',
        policyVersion: this.context.policy().version,
        details: { command: text.slice(0, 4096), reason: 'line guard: the line was edited in a way it cannot follow' },
      });
      notify(
        'Postern: line not sent: the line guard cannot follow history, tab completion or search; type the command out in full',
      );
      return false;
    }
    const verdict = await admitCommand(text, this.context, notify);
    if (!verdict.ok) notify(verdict.message);
    return verdict.ok;
  }
}
