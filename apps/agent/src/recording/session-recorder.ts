import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from '@postern/logging';
import { chainHash, chainSeed } from '@postern/contracts';
import { SpoolFullError, type RecordingSpool } from './spool.js';

const gzipAsync = promisify(gzip);
/**
 * Chunks smaller than this stay plain JSON Lines even with compression on: a gzip call costs
 * about 0.8 ms of CPU whatever its size (zlib's state is set up for each one), more than a short
 * session's whole recording is worth compressing; busy sessions' chunks (100 KiB and more) are
 * where compression pays.
 */
const MIN_COMPRESSED_BYTES = 16 * 1024;
/** First buffer of a chunk (a few events); it doubles as events come, up to the chunk size. */
const MIN_BUFFER_BYTES = 1024;
const EMPTY = Buffer.alloc(0);

function jsonLine(event: RecordingEvent): Buffer {
  return Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
}

export type RecordingMode = 'strict' | 'best-effort';

export interface RecorderOptions {
  /** A chunk is cut when this many bytes of events are buffered. */
  chunkBytes: number;
  /** …or when the oldest buffered event is this old. */
  flushMs: number;
  /**
   * `gzip` (level 1, in libuv's thread pool, off the proxy's thread) shrinks statement-heavy
   * recordings about 18×: less for the spool's fsync, the Recording stream and the control
   * plane's database to carry. Chunks under 16 KiB stay plain. `none` for control planes older
   * than the encoding field.
   */
  compression: 'gzip' | 'none';
}

/** A recorded event: `at` and `type` are added by the recorder. */
export type RecordingEvent = Record<string, unknown>;

/**
 * One session's recording: events as JSON lines, cut into hash-chained chunks written to the
 * spool in order. Writes are asynchronous and serialised; recording never blocks the proxy.
 *
 * When the spool cannot take a chunk: in `strict` mode `onFailure` is called (the session ends:
 * it must not go on unrecorded); in `best-effort` mode the chunk is dropped and counted, the next
 * chunk starts with a `recording.gap` event, and the final event says `truncated: true`, so a
 * recording is never silently incomplete.
 */
export class SessionRecorder {
  /**
   * The chunk being filled: events are encoded into it as they are recorded (one UTF-8 encoding
   * per event, no array of strings to join and encode again at the cut). Each chunk gets a buffer
   * of its own, since the spool keeps it until the control plane acknowledges it.
   */
  private buffer: Buffer = EMPTY;
  private used = 0;
  private events = 0;
  /** Size of the last chunk cut, to size the next one's buffer (busy sessions fill theirs). */
  private lastChunkBytes = 0;
  private seq = 0;
  private prev: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private droppedEvents = 0;
  private droppedTotal = 0;
  private closed = false;
  /** The closing event, serialised when the final chunk is written (it reports drops until then). */
  private endEvent: RecordingEvent | null = null;

  constructor(
    private readonly spool: RecordingSpool,
    readonly sessionId: string,
    private readonly mode: RecordingMode,
    private readonly options: RecorderOptions,
    private readonly logger: Logger,
    private readonly onFailure: (error: Error) => void,
    /** Continues a recording left unfinished by an earlier run of the agent. */
    resume?: { nextSeq: number; prevHash: Buffer },
  ) {
    this.prev = resume?.prevHash ?? chainSeed(sessionId);
    this.seq = resume?.nextSeq ?? 0;
  }

  record(type: string, event: RecordingEvent = {}, at = Date.now()): void {
    if (this.closed) return;
    // `{"at":…,"type":…,` + the event's own fields, without copying the event into a new object.
    const fields = JSON.stringify(event);
    const line = `{"at":${at},"type":${JSON.stringify(type)}${fields.length > 2 ? `,${fields.slice(1)}` : '}'}`;
    // At most 3 UTF-8 bytes per UTF-16 unit, and the newline.
    const room = line.length * 3 + 1;
    if (this.used + room > this.buffer.length) this.grow(this.used + room);
    this.used += this.buffer.write(line, this.used, 'utf8');
    this.buffer[this.used++] = 0x0a;
    this.events += 1;
    if (this.used >= this.options.chunkBytes) this.cut(false);
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.cut(false), this.options.flushMs);
      this.timer.unref();
    }
  }

  /** Ends the recording with a final chunk; resolves when everything is on disk. */
  close(event: RecordingEvent = {}): Promise<void> {
    if (this.closed) return this.writing;
    this.closed = true;
    this.endEvent = { at: Date.now(), type: 'session.end', ...event };
    this.cut(true);
    return this.writing;
  }

  private grow(needed: number): void {
    // A chunk's first buffer is sized like the last chunk (a busy session's chunks are alike, an
    // idle one's are small); then it doubles, up to about the chunk size.
    const hint = this.buffer.length === 0 ? this.lastChunkBytes + 1024 : this.buffer.length * 2;
    const capacity = Math.max(needed, MIN_BUFFER_BYTES, Math.min(hint, this.options.chunkBytes + MIN_BUFFER_BYTES));
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, 0, this.used);
    this.buffer = next;
  }

  private cut(final: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events === 0 && !final) return;
    const events = this.buffer.subarray(0, this.used);
    const count = this.events;
    this.lastChunkBytes = this.used;
    // The next chunk's buffer is made by its first event: an idle session holds none.
    this.buffer = EMPTY;
    this.used = 0;
    this.events = 0;
    this.writing = this.writing.then(() => this.write(events, count, final));
  }

  private async write(events: Buffer, count: number, final: boolean): Promise<void> {
    const parts = [events];
    if (this.droppedEvents > 0) {
      parts.unshift(jsonLine({ at: Date.now(), type: 'recording.gap', droppedEvents: this.droppedEvents }));
    }
    if (final && this.endEvent !== null) {
      const truncated = this.droppedTotal > 0 ? { truncated: true, droppedEvents: this.droppedTotal } : {};
      parts.push(jsonLine({ ...this.endEvent, ...truncated }));
    }
    const data = parts.length === 1 ? events : Buffer.concat(parts);
    const hash = chainHash(this.prev, this.seq, final, data);
    try {
      const gzipped = this.options.compression === 'gzip' && data.length >= MIN_COMPRESSED_BYTES;
      await this.spool.write({
        sessionId: this.sessionId,
        seq: this.seq,
        data: gzipped ? await gzipAsync(data, { level: 1 }) : data,
        encoding: gzipped ? 'gzip' : 'jsonl',
        chainHash: hash,
        final,
      });
      this.prev = hash;
      this.seq += 1;
      this.droppedEvents = 0;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (this.mode === 'strict') {
        this.logger.error({ err: failure, sessionId: this.sessionId }, 'recording failed: ending the strict session');
        this.closed = true;
        this.onFailure(failure);
        return;
      }
      const dropped = count;
      this.droppedEvents += dropped;
      this.droppedTotal += dropped;
      const level = failure instanceof SpoolFullError ? 'warn' : 'error';
      this.logger[level]({ err: failure, sessionId: this.sessionId, dropped }, 'recording chunk dropped (best-effort)');
    }
  }
}
