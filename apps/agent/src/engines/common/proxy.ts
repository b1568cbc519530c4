import type { Duplex } from 'node:stream';
import { describeError, SessionEnd } from './session-end.js';

/** The least the proxy needs of a frame: its bytes on the wire (a view, not a copy). */
export interface ProxyFrame {
  readonly bytes: Buffer;
}

/** Splits one direction's byte stream into frames (a protocol's streaming parser). */
export interface FrameSplitter<F extends ProxyFrame> {
  /** Calls `onFrame` for every frame the chunk completes, in order; throws on invalid input. */
  parse(chunk: Buffer, onFrame: (frame: F) => void): void;
  /** Bytes of an incomplete frame held back (they count against the buffer budget). */
  readonly bufferedBytes: number;
}

/**
 * What the proxy loop knows of a protocol: how to split each direction into frames, which client
 * frame says goodbye, what a parse failure means, and an observer per direction (a protocol's
 * session state: statement counts, which target frame ends a request). Nothing else is decoded.
 */
export interface FrameCodec<C extends ProxyFrame, T extends ProxyFrame> {
  client: FrameSplitter<C>;
  target: FrameSplitter<T>;
  /** The client's goodbye (PostgreSQL Terminate, MySQL COM_QUIT): once forwarded, the session ends. */
  isTerminate(frame: C): boolean;
  /** Every client frame, before it is filtered and forwarded. */
  observeClient(frame: C): void;
  /** Every target frame, before it is filtered and forwarded (a request's end among them). */
  observeTarget(frame: T): void;
  /** How the session ends when a side's bytes cannot be split into frames. */
  parseFailure(side: 'client' | 'target', error: unknown): SessionEnd;
  /** Counts raw bytes received from each side (for the session summary). */
  countBytes(side: 'client' | 'target', bytes: number): void;
}

export interface ProxyOptions<C extends ProxyFrame, T extends ProxyFrame> {
  client: Duplex;
  target: Duplex;
  codec: FrameCodec<C, T>;
  /** Frames read during startup but not consumed (a client that pipelined past the password). */
  pendingFromClient: C[];
  pendingFromTarget: T[];
  /** The session's end signal (revocation, shutdown): the proxy stops with its SessionEnd. */
  signal: AbortSignal;
  abortEnd: () => SessionEnd;
  /** Policy enforcement on the frames (guardrails, approvals, masking); absent: pass-through. */
  filter?: FrameFilter<C, T> | undefined;
  /** The session's share of the agent's buffer budget: partly received messages count against it. */
  buffers?: { hold(bytes: number): { limit: 'agent' | 'principal'; held: number; allowed: number } | null } | undefined;
}

/**
 * What to forward in place of one frame: its own bytes (the fast, usual answer), other bytes (a
 * substitute, a masked row), nothing (null), or a promise of either when the frame must wait
 * (a statement held for approval, a catalog lookup). Frames behind a pending one wait in order.
 */
export type FrameVerdict = Buffer | null | Promise<Buffer | null>;

export interface FrameFilter<C extends ProxyFrame, T extends ProxyFrame> {
  fromClient(frame: C): FrameVerdict;
  fromTarget(frame: T): FrameVerdict;
  /** A client frame whose verdict was forwarded (its own bytes or a substitute), in stream order. */
  forwarded?(frame: C): void;
  /** Called once by the proxy: how the filter writes its own messages. */
  attach(io: FilterIo): void;
}

export interface FilterIo {
  /** A message of the filter's own to the client (a notice). */
  toClient(bytes: Buffer): void;
  /**
   * A message of the filter's own to the target (a lookup on the session's connection, while the
   * client's lane waits on a pending verdict). Written at once, under the target's backpressure:
   * call it outside `fromClient`, whose accepted frames are written when the filter returns.
   */
  toTarget(bytes: Buffer): void;
  fail(end: SessionEnd): void;
}

type AnyFrame = ProxyFrame;

/** One direction of the proxy while a filter is on: frames waiting behind a pending verdict. */
interface Lane {
  from: 'client' | 'target';
  source: Duplex;
  destination: Duplex;
  /** Non-null while a verdict is pending: the frames that arrived behind it. */
  waiting: AnyFrame[] | null;
}

/** How the proxy stopped; the session closes both sides and reports it. */
export interface ProxyOutcome {
  end: SessionEnd;
  /** True when the client's goodbye was already forwarded to the target. */
  terminateForwarded: boolean;
}

/**
 * Forwards frames both ways until either side ends. Frames are not decoded (only the few the
 * session state needs are peeked at) and not copied: the frames parsed from one chunk are
 * written as views, adjacent views merged into one write, several writes corked together.
 * When a destination's buffer is full the source is paused until 'drain', so a slow reader
 * slows the writer instead of growing memory.
 */
export function proxySession<C extends ProxyFrame, T extends ProxyFrame>(
  options: ProxyOptions<C, T>,
): Promise<ProxyOutcome> {
  return new Promise((resolve) =>
    new SessionProxy(options as unknown as ProxyOptions<AnyFrame, AnyFrame>, resolve).start(),
  );
}

class SessionProxy {
  private finished = false;
  private terminateForwarded = false;
  private readonly throttled = new Set<Duplex>();
  private readonly batch: Buffer[] = [];
  private readonly clientLane: Lane;
  private readonly targetLane: Lane;
  private readonly codec: FrameCodec<AnyFrame, AnyFrame>;

  constructor(
    private readonly options: ProxyOptions<AnyFrame, AnyFrame>,
    private readonly resolve: (outcome: ProxyOutcome) => void,
  ) {
    const { client, target } = options;
    this.codec = options.codec;
    this.clientLane = { from: 'client', source: client, destination: target, waiting: null };
    this.targetLane = { from: 'target', source: target, destination: client, waiting: null };
    options.filter?.attach({
      toClient: (bytes) => this.write(client, target, [bytes]),
      toTarget: (bytes) => this.write(target, client, [bytes]),
      fail: (end) => this.finish(end),
    });
  }

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
      if (this.clientLane.waiting === null) client.resume();
      if (this.targetLane.waiting === null) target.resume();
    }
  }

  private readonly onClientData = (chunk: Buffer): void => {
    this.codec.countBytes('client', chunk.length);
    this.batch.length = 0;
    try {
      this.codec.client.parse(chunk, this.collectClientFrame);
    } catch (error) {
      return this.finish(this.codec.parseFailure('client', error));
    }
    if (!this.withinBudget()) return;
    this.write(this.options.target, this.options.client, this.batch, chunk);
    if (this.terminateForwarded) this.finish(SessionEnd.clean('client_closed', 'the client sent Terminate'));
  };

  private readonly collectClientFrame = (frame: AnyFrame): void => {
    this.codec.observeClient(frame);
    if (this.options.filter !== undefined) return this.admit(this.clientLane, frame);
    if (this.codec.isTerminate(frame)) this.terminateForwarded = true;
    this.batch.push(frame.bytes);
  };

  private readonly onTargetData = (chunk: Buffer): void => {
    this.codec.countBytes('target', chunk.length);
    this.batch.length = 0;
    try {
      this.codec.target.parse(chunk, this.collectTargetFrame);
    } catch (error) {
      return this.finish(this.codec.parseFailure('target', error));
    }
    if (!this.withinBudget()) return;
    this.write(this.options.client, this.options.target, this.batch, chunk);
  };

  /**
   * Messages partly received (from either side) are held in memory until complete; their bytes
   * count against the session's share of the agent's buffer budget. Over it, this session ends.
   */
  private withinBudget(): boolean {
    const { buffers } = this.options;
    if (buffers === undefined) return true;
    const refusal = buffers.hold(this.codec.client.bufferedBytes + this.codec.target.bufferedBytes);
    if (refusal === null) return true;
    const whose =
      refusal.limit === 'agent' ? "the agent's buffer budget" : "this identity's share of the agent's buffers";
    const message = `terminating connection: a message being received does not fit ${whose}`;
    this.finish(
      new SessionEnd('error', `buffer budget exceeded (${refusal.limit}: ${refusal.held} > ${refusal.allowed} bytes)`, {
        kind: 'out_of_memory',
        message,
        detail: `${refusal.held} bytes would be held; ${refusal.allowed} are allowed.`,
      }),
    );
    return false;
  }

  private readonly collectTargetFrame = (frame: AnyFrame): void => {
    this.codec.observeTarget(frame);
    if (this.options.filter !== undefined) return this.admit(this.targetLane, frame);
    this.batch.push(frame.bytes);
  };

  /**
   * Runs one frame through the filter into the current batch. A pending verdict stops the lane:
   * the frames behind it queue in order and the source is paused until the verdict settles.
   */
  private admit(lane: Lane, frame: AnyFrame): void {
    if (lane.waiting !== null) {
      lane.waiting.push(frame);
      return;
    }
    const filter = this.options.filter!;
    let verdict: FrameVerdict;
    try {
      verdict = lane.from === 'client' ? filter.fromClient(frame) : filter.fromTarget(frame);
    } catch (error) {
      return this.filterFailed(error);
    }
    if (verdict instanceof Promise) {
      lane.waiting = [];
      lane.source.pause();
      verdict.then(
        (bytes) => this.resumeLane(lane, frame, bytes),
        (error: unknown) => this.filterFailed(error),
      );
      return;
    }
    this.accept(lane, frame, verdict);
  }

  private accept(lane: Lane, frame: AnyFrame, bytes: Buffer | null): void {
    if (bytes === null) return;
    if (lane.from === 'client') {
      if (this.codec.isTerminate(frame)) this.terminateForwarded = true;
      this.options.filter!.forwarded?.(frame);
    }
    this.batch.push(bytes);
  }

  /** A pending verdict settled: forward it, then the frames that queued behind it. */
  private resumeLane(lane: Lane, frame: AnyFrame, bytes: Buffer | null): void {
    if (this.finished) return;
    const queued = lane.waiting ?? [];
    lane.waiting = null;
    this.batch.length = 0;
    this.accept(lane, frame, bytes);
    let next = 0;
    while (next < queued.length && lane.waiting === null) this.admit(lane, queued[next++]!);
    if (lane.waiting !== null) (lane.waiting as AnyFrame[]).unshift(...queued.slice(next));
    this.write(lane.destination, lane.source, this.batch);
    if (this.terminateForwarded) return this.finish(SessionEnd.clean('client_closed', 'the client sent Terminate'));
    if (lane.waiting === null && !this.throttled.has(lane.source)) lane.source.resume();
  }

  private filterFailed(error: unknown): void {
    if (error instanceof SessionEnd) return this.finish(error);
    const message = `policy enforcement failed: ${describeError(error)}`;
    this.finish(new SessionEnd('error', message, { kind: 'internal', message: 'policy enforcement failed' }));
  }

  /** Frames left over from the startup phases, forwarded as if they had just arrived. */
  private forwardFrames(frames: AnyFrame[], from: 'client' | 'target'): void {
    if (frames.length === 0) return;
    const { client, target } = this.options;
    const codec = this.codec;
    if (this.options.filter !== undefined) {
      const lane = from === 'client' ? this.clientLane : this.targetLane;
      this.batch.length = 0;
      for (const frame of frames) {
        if (from === 'client') codec.observeClient(frame);
        else codec.observeTarget(frame);
        this.admit(lane, frame);
      }
      this.write(lane.destination, lane.source, this.batch);
      if (this.terminateForwarded) this.finish(SessionEnd.clean('client_closed', 'the client sent Terminate'));
      return;
    }
    const bytes: Buffer[] = [];
    for (const frame of frames) {
      if (from === 'client') {
        codec.observeClient(frame);
        if (codec.isTerminate(frame)) this.terminateForwarded = true;
      } else {
        codec.observeTarget(frame);
      }
      bytes.push(frame.bytes);
    }
    if (from === 'client') this.write(target, client, bytes);
    else this.write(client, target, bytes);
    if (this.terminateForwarded) this.finish(SessionEnd.clean('client_closed', 'the client sent Terminate'));
  }

  /** `chunk`: what was read, when `frames` came from it (forwarded whole when they are all of it). */
  private write(destination: Duplex, source: Duplex, frames: Buffer[], chunk?: Buffer): void {
    if (frames.length === 0 || this.finished || destination.destroyed) return;
    const segments =
      frames.length === 1 ? frames : chunk !== undefined && tilesChunk(frames, chunk) ? [chunk] : coalesce(frames);
    let flowing = true;
    if (segments.length === 1) {
      flowing = destination.write(segments[0]);
    } else if (totalLength(segments) <= SMALL_WRITE_BYTES) {
      // A short answer with a substituted part (a masked row, a notice): one copy of a few hundred
      // bytes costs less than a corked multi-part write through the stream and a writev.
      flowing = destination.write(Buffer.concat(segments));
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
      if (!this.finished && !this.laneOf(source).waiting) source.resume();
    });
  }

  private laneOf(source: Duplex): Lane {
    return source === this.options.client ? this.clientLane : this.targetLane;
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
        kind: 'connection_lost',
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

/** Below this many bytes, the parts of one write are copied together rather than written as a vector. */
const SMALL_WRITE_BYTES = 4096;

function totalLength(segments: readonly Buffer[]): number {
  let total = 0;
  for (const segment of segments) total += segment.length;
  return total;
}

/**
 * Whether `frames` are views that cover `chunk`'s memory exactly, in order (every frame of a read
 * forwarded as it came, the usual case): then the chunk itself is written, with no view made.
 */
function tilesChunk(frames: readonly Buffer[], chunk: Buffer): boolean {
  let end = chunk.byteOffset;
  for (const bytes of frames) {
    if (bytes.buffer !== chunk.buffer || bytes.byteOffset !== end) return false;
    end += bytes.length;
  }
  return end === chunk.byteOffset + chunk.length;
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
