import { StringDecoder } from 'node:string_decoder';
import type { EngineContext } from '../engine.js';
import { FrameTap } from './frame-tap.js';

/** Remote-command channels (k8s.io/apimachinery remotecommand, v4/v5.channel.k8s.io). */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;

export interface ExecInfo {
  subresource: 'exec' | 'attach';
  namespace: string;
  pod: string;
  container: string | null;
  command: string[];
  tty: boolean;
  protocol: string;
}

/**
 * Records one exec/attach stream as asciicast v2 (`kubernetes.exec` header, then
 * `kubernetes.exec.output` events: stdin as `i`, stdout/stderr as `o`, resizes as `r`) and the
 * exit code from the status channel. Output past `maxBytes` is counted, not recorded. Frames that
 * do not parse make `failed` fire: the engine then ends the stream (what cannot be recorded is
 * not relayed).
 */
export class ExecRecorder {
  private readonly started = Date.now();
  private readonly decoders = [new StringDecoder('utf8'), new StringDecoder('utf8'), new StringDecoder('utf8')];
  private readonly frames: FrameTap;
  private recordedBytes = 0;
  private headerWritten = false;
  private width = 80;
  private height = 24;
  bytesFromClient = 0;
  bytesFromTarget = 0;
  exitCode: number | null = null;
  truncated = false;

  constructor(
    private readonly context: EngineContext,
    readonly stream: number,
    private readonly info: ExecInfo,
    private readonly maxBytes: number,
    failed: (why: string) => void,
  ) {
    this.frames = new FrameTap((data, binary, fromClient) => this.message(data, binary, fromClient), failed);
  }

  client(chunk: Buffer): void {
    this.bytesFromClient += chunk.length;
    this.frames.client(chunk);
  }

  target(chunk: Buffer): void {
    this.bytesFromTarget += chunk.length;
    this.frames.target(chunk);
  }

  end(): void {
    this.header();
    this.context.record('kubernetes.exec.end', {
      stream: this.stream,
      exitCode: this.exitCode,
      durationMs: Date.now() - this.started,
      bytesFromClient: this.bytesFromClient,
      bytesFromTarget: this.bytesFromTarget,
      ...(this.truncated ? { truncated: true } : {}),
    });
    this.frames.destroy();
  }

  private message(data: Buffer, binary: boolean, fromClient: boolean): void {
    if (!binary || data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    if (fromClient && channel === RESIZE) {
      try {
        const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        if (!this.headerWritten && size.Width && size.Height) {
          this.width = size.Width;
          this.height = size.Height;
        }
        this.event('r', `${size.Width ?? 0}x${size.Height ?? 0}`, false);
      } catch {
        // A resize the recording cannot read changes nothing that is recorded.
      }
      return;
    }
    if (fromClient && channel === STDIN) return this.output(STDIN, payload, 'i');
    if (!fromClient && (channel === STDOUT || channel === STDERR)) return this.output(channel, payload, 'o');
    if (!fromClient && channel === STATUS) this.exitCode = exitCode(payload.toString('utf8'));
  }

  private output(channel: 0 | 1 | 2, payload: Buffer, kind: 'i' | 'o'): void {
    if (this.recordedBytes >= this.maxBytes) {
      this.truncated = true;
      return;
    }
    const piece =
      payload.length > this.maxBytes - this.recordedBytes
        ? payload.subarray(0, this.maxBytes - this.recordedBytes)
        : payload;
    if (piece.length < payload.length) this.truncated = true;
    this.recordedBytes += piece.length;
    const text = this.decoders[channel]!.write(piece);
    if (text !== '') this.event(kind, text, channel === STDERR);
  }

  private event(kind: 'i' | 'o' | 'r', text: string, stderr: boolean): void {
    this.header();
    this.context.record('kubernetes.exec.output', {
      stream: this.stream,
      event: [Math.round(Date.now() - this.started) / 1000, kind, text],
      ...(stderr ? { stderr: true } : {}),
    });
  }

  private header(): void {
    if (this.headerWritten) return;
    this.headerWritten = true;
    const { info } = this;
    const command = info.command.join(' ');
    this.context.record('kubernetes.exec', {
      stream: this.stream,
      subresource: info.subresource,
      namespace: info.namespace,
      pod: info.pod,
      ...(info.container === null ? {} : { container: info.container }),
      command: info.command,
      tty: info.tty,
      protocol: info.protocol,
      asciicast: {
        version: 2,
        width: this.width,
        height: this.height,
        timestamp: Math.floor(this.started / 1000),
        ...(command === '' ? {} : { command }),
      },
    });
  }
}

/** The exit code in a remote-command status message (metav1.Status): 0 on Success. */
export function exitCode(text: string): number | null {
  try {
    const status = JSON.parse(text) as {
      status?: string;
      reason?: string;
      details?: { causes?: { reason?: string; message?: string }[] };
    };
    if (status.status === 'Success') return 0;
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    return Number.isInteger(code) ? code : null;
  } catch {
    return null;
  }
}
