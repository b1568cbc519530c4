import { ProtocolError } from './errors.js';
import type { Frame, FrameHandler } from './frame.js';

const EMPTY = Buffer.alloc(0);
/** First allocation for a frame whose body spans chunks; doubled as more bytes arrive. */
const MIN_ASSEMBLY_CAPACITY = 4096;
/** The longest header a subclass needs before it can size a frame (length + request code). */
const MAX_HEADER_SIZE = 8;

/**
 * Incremental framing shared by both directions, with cursors like node-postgres'
 * `pg-protocol/src/parser.ts` but three differences that matter to a proxy:
 *  - frames that lie in one chunk are emitted as `subarray` views of it, with no copy;
 *  - a frame spanning chunks is assembled in a buffer owned by that frame alone and never
 *    reused, so a frame handed to `socket.write()` cannot be overwritten by later input
 *    (pg-protocol compacts its buffer in place, which is safe only because it decodes eagerly);
 *  - the assembly buffer grows with the bytes actually received (at most twice them, and never
 *    past the frame's length), so a peer announcing a 1 GiB message and sending 5 bytes costs
 *    a few KiB, not 1 GiB.
 */
export abstract class FrameParser {
  private partial: Buffer = EMPTY;
  private partialFilled = 0;
  /** Size of the frame being assembled; 0 while its header is still incomplete. */
  private partialTotal = 0;
  private failure: ProtocolError | undefined;

  /**
   * Feeds one chunk; calls `onFrame` for every frame it completes, in order. Throws
   * `ProtocolError` when the stream is invalid (frames before the bad one are delivered first);
   * the parser then stays failed and rethrows that error. If `onFrame` throws, the exception
   * propagates and the parser must be discarded.
   */
  parse(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.parseChunk(chunk, onFrame);
    } catch (error) {
      if (error instanceof ProtocolError) this.failure = error;
      throw error;
    }
  }

  /** Bytes of an incomplete frame held back; non-zero at end of stream means a truncated packet. */
  get bufferedBytes(): number {
    return this.partialFilled;
  }

  /** Bytes needed before `frameSize` can size the frame that starts with `firstByte`. */
  protected abstract headerSize(firstByte: number): number;
  /** Validates the header at `offset` and returns the frame's total size in bytes. */
  protected abstract frameSize(buffer: Buffer, offset: number): number;
  /** Wraps a complete frame and advances the protocol phase. */
  protected abstract makeFrame(bytes: Buffer): Frame;
  /**
   * Called while a frame's header is still incomplete, with the bytes received so far: lets a
   * subclass refuse a length word it can already judge instead of waiting for the rest.
   */
  protected checkPartialHeader(_partial: Buffer): void {}
  /** Called after a frame was delivered, with the count of bytes that follow it in this chunk. */
  protected afterFrame(_frame: Frame, _bytesFollowing: number): void {}

  private parseChunk(chunk: Buffer, onFrame: FrameHandler): void {
    const end = chunk.length;
    let offset = 0;
    if (this.partialFilled > 0) {
      offset = this.continuePartial(chunk, onFrame);
      if (offset < 0) return;
    }
    while (offset < end) {
      const available = end - offset;
      if (available < this.headerSize(chunk[offset]!)) break;
      const total = this.frameSize(chunk, offset);
      if (available < total) break;
      const frame = this.makeFrame(chunk.subarray(offset, offset + total));
      offset += total;
      onFrame(frame);
      this.afterFrame(frame, end - offset);
    }
    if (offset < end) this.startPartial(chunk.subarray(offset));
  }

  /** Completes the frame held back from earlier chunks; -1 when `chunk` did not finish it. */
  private continuePartial(chunk: Buffer, onFrame: FrameHandler): number {
    let used = 0;
    if (this.partialTotal === 0) {
      const header = this.headerSize(this.partial[0]!);
      used = Math.min(header - this.partialFilled, chunk.length);
      this.append(chunk, 0, used);
      if (this.partialFilled < header) {
        this.checkPartialHeader(this.partial.subarray(0, this.partialFilled));
        return -1;
      }
      this.partialTotal = this.frameSize(this.partial, 0);
    }
    const take = Math.min(this.partialTotal - this.partialFilled, chunk.length - used);
    this.append(chunk, used, used + take);
    used += take;
    if (this.partialFilled < this.partialTotal) return -1;

    const bytes = this.partial.subarray(0, this.partialTotal);
    this.partial = EMPTY;
    this.partialFilled = 0;
    this.partialTotal = 0;
    const frame = this.makeFrame(bytes);
    onFrame(frame);
    this.afterFrame(frame, chunk.length - used);
    return used;
  }

  private startPartial(rest: Buffer): void {
    // The loop broke because the header or the body is incomplete; size the frame now if the
    // header is here, so an oversized length fails before any byte is buffered.
    const complete = rest.length >= this.headerSize(rest[0]!);
    if (!complete) this.checkPartialHeader(rest);
    this.partialTotal = complete ? this.frameSize(rest, 0) : 0;
    this.append(rest, 0, rest.length);
  }

  private append(source: Buffer, start: number, end: number): void {
    const needed = this.partialFilled + (end - start);
    if (needed > this.partial.length) {
      const capacity =
        this.partialTotal === 0
          ? MAX_HEADER_SIZE
          : Math.min(this.partialTotal, Math.max(needed, this.partial.length * 2, MIN_ASSEMBLY_CAPACITY));
      const grown = Buffer.allocUnsafe(capacity);
      this.partial.copy(grown, 0, 0, this.partialFilled);
      this.partial = grown;
    }
    source.copy(this.partial, this.partialFilled, start, end);
    this.partialFilled = needed;
  }
}
