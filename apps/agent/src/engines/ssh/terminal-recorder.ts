import { StringDecoder } from 'node:string_decoder';
import type { EngineContext } from '../engine.js';

/**
 * Records one shell or exec channel as asciicast v2 (`ssh.channel` carries the header,
 * `ssh.output` one event line per chunk). Output past `maxBytes` is counted, not recorded: a
 * recording bound per channel keeps a `cat` of a large file (or an scp stream, which is binary
 * and is not recorded at all) from flooding the spool.
 */
export class TerminalRecorder {
  private readonly started = Date.now();
  private readonly out = new StringDecoder('utf8');
  private readonly err = new StringDecoder('utf8');
  private recordedBytes = 0;
  truncated = false;

  constructor(
    private readonly context: EngineContext,
    readonly channel: number,
    private readonly maxBytes: number,
  ) {}

  open(
    type: 'shell' | 'exec',
    pty: { cols: number; rows: number; term: string } | null,
    command: string | undefined,
  ): void {
    // `kind`, not `type`: the recorder writes the event's own `type` first, and a body field of
    // the same name replaced it in the stored event (recordings before session 8 read "exec"/"shell").
    this.context.record('ssh.channel', {
      channel: this.channel,
      kind: type,
      ...(command === undefined ? {} : { command }),
      asciicast: {
        version: 2,
        width: pty?.cols ?? 80,
        height: pty?.rows ?? 24,
        timestamp: Math.floor(this.started / 1000),
        ...(command === undefined ? {} : { command }),
        ...(pty === null ? {} : { env: { TERM: pty.term } }),
      },
    });
  }

  output(chunk: Buffer, stderr: boolean): void {
    if (this.recordedBytes >= this.maxBytes) {
      this.truncated = true;
      return;
    }
    const piece =
      chunk.length > this.maxBytes - this.recordedBytes ? chunk.subarray(0, this.maxBytes - this.recordedBytes) : chunk;
    if (piece.length < chunk.length) this.truncated = true;
    this.recordedBytes += piece.length;
    const text = (stderr ? this.err : this.out).write(piece);
    if (text === '') return;
    this.context.record('ssh.output', {
      channel: this.channel,
      event: [this.elapsed(), 'o', text],
      ...(stderr ? { stderr: true } : {}),
    });
  }

  resize(cols: number, rows: number): void {
    this.context.record('ssh.output', { channel: this.channel, event: [this.elapsed(), 'r', `${cols}x${rows}`] });
  }

  private elapsed(): number {
    return Math.round(Date.now() - this.started) / 1000;
  }
}
