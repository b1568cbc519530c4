import type { Duplex } from 'node:stream';
import { FrontendCode, type BackendParser, type Frame, type FrontendParser } from '@postern/wire-postgres';
import type { PostgresSessionState } from './session-state.js';
import { describeError, SessionEnd, SqlStates } from './session-end.js';

export interface ProxyOptions {
  client: Duplex;
  target: Duplex;
  clientParser: FrontendParser;
  targetParser: BackendParser;
  /** Frames read during startup but not consumed (a client that pipelined past the password). */
  pendingFromClient: Frame[];
  pendingFromTarget: Frame[];
  state: PostgresSessionState;
  /** The session's end signal (revocation, shutdown): the proxy stops with its SessionEnd. */
  signal: AbortSignal;
  abortEnd: () => SessionEnd;
}

/** How the proxy stopped; the session closes both sides and reports it. */
export interface ProxyOutcome {
  end: SessionEnd;
  /** True when the client's Terminate was already forwarded to the target. */
  terminateForwarded: boolean;
}

/**
 * Forwards frames both ways until either side ends. Frames are not decoded (only the few the
 * session state needs are peeked at) and not copied: the frames parsed from one chunk are
 * written as views, adjacent views merged into one write, several writes corked together.
 * When a destination's buffer is full the source is paused until 'drain', so a slow reader
 * slows the writer instead of growing memory.
 */
export function proxySession(options: ProxyOptions): Promise<ProxyOutcome> {
  return new Promise((resolve) => new SessionProxy(options, resolve).start());
}

class SessionProxy {
  private finished = false;
  private terminateForwarded = false;
  private readonly throttled = new Set<Duplex>();
  private readonly batch: Buffer[] = [];

  constructor(
    private readonly options: ProxyOptions,
    private readonly resolve: (outcome: ProxyOutcome) => void,
  ) {}

  start(): void {
    const { client, target, signal } = this.options;
    client.on('data', this.onClientData);
    client.on('end', this.onClientEnd);
    client.on('close', this.onClientEnd);
    client.on('error', this.onClientError);
    target.on('data', this.onTargetData);
    target.on('end', this.onTargetEnd);
    target.on('close', this.onTargetEnd);
    target.on('error', this.onTargetError);
    signal.addEventListener('abort', this.onAbort, { once: true });
    if (signal.aborted) return this.onAbort();
    // A side that failed while nobody was listening (during the target login) ends it now.
    if (client.destroyed) return this.onClientEnd();
    if (target.destroyed) return this.onTargetEnd();
    this.forwardFrames(this.options.pendingFromTarget, 'target');
    this.forwardFrames(this.options.pendingFromClient, 'client');
    if (!this.finished) {
      client.resume();
      target.resume();
    }
  }

  private readonly onClientData = (chunk: Buffer): void => {
    this.options.state.bytesFromClient += chunk.length;
    this.batch.length = 0;
    try {
      this.options.clientParser.parse(chunk, this.collectClientFrame);
    } catch (error) {
      const message = `invalid message from the client: ${describeError(error)}`;
      return this.finish(new SessionEnd('protocol_error', message, { code: SqlStates.ProtocolViolation, message }));
    }
    this.write(this.options.target, this.options.client, this.batch);
    if (this.terminateForwarded) this.finish(SessionEnd.clean('client_closed', 'the client sent Terminate'));
  };

  private readonly collectClientFrame = (frame: Frame): void => {
    this.options.state.observeFrontend(frame);
    if (frame.code === FrontendCode.Terminate) this.terminateForwarded = true;
    this.batch.push(frame.bytes);
  };

  private readonly onTargetData = (chunk: Buffer): void => {
    this.options.state.bytesFromTarget += chunk.length;
    this.batch.length = 0;
    try {
      this.options.targetParser.parse(chunk, this.collectTargetFrame);
    } catch (error) {
      return this.finish(
        new SessionEnd('protocol_error', `invalid message from the target: ${describeError(error)}`, {
          code: SqlStates.ProtocolViolation,
          message: 'invalid message from the target server',
        }),
      );
    }
    this.write(this.options.client, this.options.target, this.batch);
  };

  private readonly collectTargetFrame = (frame: Frame): void => {
    this.options.state.observeBackend(frame);
    this.batch.push(frame.bytes);
  };

  /** Frames left over from the startup phases, forwarded as if they had just arrived. */
  private forwardFrames(frames: Frame[], from: 'client' | 'target'): void {
    if (frames.length === 0) return;
    const { client, target, state } = this.options;
    const bytes: Buffer[] = [];
    for (const frame of frames) {
      if (from === 'client') {
        state.observeFrontend(frame);
        if (frame.code === FrontendCode.Terminate) this.terminateForwarded = true;
      } else {
        state.observeBackend(frame);
      }
      bytes.push(frame.bytes);
    }
    if (from === 'client') this.write(target, client, bytes);
    else this.write(client, target, bytes);
    if (this.terminateForwarded) this.finish(SessionEnd.clean('client_closed', 'the client sent Terminate'));
  }

  private write(destination: Duplex, source: Duplex, frames: Buffer[]): void {
    if (frames.length === 0 || this.finished || destination.destroyed) return;
    const segments = coalesce(frames);
    let flowing = true;
    if (segments.length === 1) {
      flowing = destination.write(segments[0]);
    } else {
      destination.cork();
      for (const segment of segments) flowing = destination.write(segment);
      destination.uncork();
    }
    if (!flowing) this.throttle(source, destination);
  }

  private throttle(source: Duplex, destination: Duplex): void {
    if (this.throttled.has(source)) return;
    this.throttled.add(source);
    source.pause();
    destination.once('drain', () => {
      this.throttled.delete(source);
      if (!this.finished) source.resume();
    });
  }

  private readonly onClientEnd = (): void =>
    this.finish(SessionEnd.clean('client_closed', 'the client closed the connection'));

  private readonly onClientError = (error: Error): void =>
    this.finish(new SessionEnd('client_closed', `client connection error: ${describeError(error)}`));

  private readonly onTargetEnd = (): void =>
    this.finish(SessionEnd.clean('target_closed', 'the target closed the connection'));

  private readonly onTargetError = (error: Error): void =>
    this.finish(
      new SessionEnd('target_closed', `target connection error: ${describeError(error)}`, {
        code: SqlStates.ConnectionFailure,
        message: 'the connection to the target server was lost',
      }),
    );

  private readonly onAbort = (): void => this.finish(this.options.abortEnd());

  private finish(end: SessionEnd): void {
    if (this.finished) return;
    this.finished = true;
    const { client, target, signal } = this.options;
    client.off('data', this.onClientData);
    client.off('end', this.onClientEnd);
    client.off('close', this.onClientEnd);
    client.off('error', this.onClientError);
    target.off('data', this.onTargetData);
    target.off('end', this.onTargetEnd);
    target.off('close', this.onTargetEnd);
    target.off('error', this.onTargetError);
    signal.removeEventListener('abort', this.onAbort);
    this.resolve({ end, terminateForwarded: this.terminateForwarded });
  }
}

/**
 * Merges views that are adjacent in memory (frames parsed from one chunk) into single writes.
 * Runs are tracked as offsets and a view is made once per run, not once per merged frame: with
 * thousands of DataRows per chunk this loop is the proxy's hottest per-row work.
 */
export function coalesce(frames: readonly Buffer[]): Buffer[] {
  const segments: Buffer[] = [];
  let first: Buffer | undefined;
  let end = 0;
  for (const bytes of frames) {
    if (first !== undefined && first.buffer === bytes.buffer && end === bytes.byteOffset) {
      end += bytes.length;
      continue;
    }
    if (first !== undefined) segments.push(runView(first, end));
    first = bytes;
    end = bytes.byteOffset + bytes.length;
  }
  if (first !== undefined) segments.push(runView(first, end));
  return segments;
}

function runView(first: Buffer, end: number): Buffer {
  return end === first.byteOffset + first.length
    ? first
    : Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}
