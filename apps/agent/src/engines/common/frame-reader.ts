import type { Duplex } from 'node:stream';
import type { ProxyFrame } from './proxy.js';

/** What the reader needs of a protocol's parser: frames out of chunks, errors thrown. */
export interface FrameSource<F> {
  parse(chunk: Buffer, onFrame: (frame: F) => void): void;
}

/** The peer ended its stream before the frame we were waiting for. */
export class PeerClosedError extends Error {
  override readonly name = 'PeerClosedError';
}

/**
 * Pulls whole frames from a stream during the startup and authentication phases, where each
 * step waits for one answer. It reads at most one chunk ahead (the stream is paused while
 * parsed frames wait), so nothing is consumed behind our back before a TLS upgrade, and
 * `detach()` hands the parser's leftovers to the proxy.
 *
 * Errors (ProtocolError from the parser, the stream's own errors, its end) are reported by
 * the pending or next `next()` call, never thrown from an event handler.
 */
export class FrameReader<Frame extends ProxyFrame = ProxyFrame> {
  private readonly frames: Frame[] = [];
  private failure: Error | undefined;
  private waiter: { resolve: (frame: Frame) => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly stream: Duplex,
    private readonly parser: FrameSource<Frame>,
    private readonly countBytes: (bytes: number) => void,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
    stream.resume();
  }

  /** The next frame; rejects with the stream's failure or `signal`'s reason. */
  next(signal: AbortSignal): Promise<Frame> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise<Frame>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.stream.resume();
    });
  }

  /** Stops reading (the stream stays paused) and returns frames parsed but not yet consumed. */
  detach(): Frame[] {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
    this.waiter = undefined;
    return this.frames.splice(0);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.countBytes(chunk.length);
    try {
      this.parser.parse(chunk, (frame) => this.frames.push(frame));
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.frames.length > 0) {
      this.stream.pause();
      const waiter = this.waiter;
      if (waiter !== undefined) {
        this.waiter = undefined;
        waiter.resolve(this.frames.shift()!);
      }
    }
  };

  private readonly onEnd = (): void => this.fail(new PeerClosedError('the peer closed the connection'));

  private readonly onError = (error: Error): void => this.fail(error);

  private fail(error: Error): void {
    // The first failure wins: a reset is often followed by 'close'.
    this.failure ??= error;
    this.stream.pause();
    const waiter = this.waiter;
    if (waiter !== undefined && this.frames.length === 0) {
      this.waiter = undefined;
      waiter.reject(this.failure);
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}
