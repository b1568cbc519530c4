import type { Duplex } from 'node:stream';
import {
  FrontendCode,
  ProtocolError,
  type BackendParser,
  type Frame,
  type FrontendParser,
} from '@postern/wire-postgres';
import {
  proxySession as proxyFrames,
  type FrameCodec,
  type FrameFilter as KitFrameFilter,
  type ProxyOutcome,
} from '../common/proxy.js';
import type { PostgresSessionState } from './session-state.js';
import { describeError, SessionEnd, SqlStates } from './session-end.js';

export { coalesce, type FilterIo, type FrameVerdict, type ProxyOutcome } from '../common/proxy.js';

/** A policy filter over PostgreSQL frames (both directions share wire-postgres' Frame). */
export type FrameFilter = KitFrameFilter<Frame, Frame>;

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
  /** Policy enforcement on the frames (guardrails, approvals, masking); absent: pass-through. */
  filter?: FrameFilter;
  /** The session's share of the agent's buffer budget: partly received messages count against it. */
  buffers?: { hold(bytes: number): { limit: 'agent' | 'principal'; held: number; allowed: number } | null };
}

/** PostgreSQL on the kit's proxy loop: wire-postgres' parsers split the streams; Terminate says goodbye. */
export function proxySession(options: ProxyOptions): Promise<ProxyOutcome> {
  const { clientParser, targetParser, state, ...rest } = options;
  return proxyFrames({ ...rest, codec: postgresCodec(clientParser, targetParser, state) });
}

export function postgresCodec(
  clientParser: FrontendParser,
  targetParser: BackendParser,
  state: PostgresSessionState,
): FrameCodec<Frame, Frame> {
  return new PostgresFrameCodec(clientParser, targetParser, state);
}

/**
 * A class rather than an object of closures: the proxy calls these per frame, and methods on
 * one class stay monomorphic and inlinable.
 */
class PostgresFrameCodec implements FrameCodec<Frame, Frame> {
  constructor(
    readonly client: FrontendParser,
    readonly target: BackendParser,
    private readonly state: PostgresSessionState,
  ) {}

  isTerminate(frame: Frame): boolean {
    return frame.code === FrontendCode.Terminate;
  }

  /** Statement counts. */
  observeClient(frame: Frame): void {
    this.state.observeFrontend(frame);
  }

  /** ReadyForQuery ends a request (and carries the transaction status). */
  observeTarget(frame: Frame): void {
    this.state.observeBackend(frame);
  }

  countBytes(side: 'client' | 'target', bytes: number): void {
    if (side === 'client') this.state.bytesFromClient += bytes;
    else this.state.bytesFromTarget += bytes;
  }

  parseFailure(side: 'client' | 'target', error: unknown): SessionEnd {
    if (side === 'target') {
      return new SessionEnd('protocol_error', `invalid message from the target: ${describeError(error)}`, {
        code: SqlStates.ProtocolViolation,
        message: 'invalid message from the target server',
      });
    }
    if (error instanceof ProtocolError && error.code === 'MESSAGE_TOO_LARGE') {
      const message = `message too large: ${error.message}`;
      return new SessionEnd('protocol_error', message, { code: SqlStates.ProgramLimitExceeded, message });
    }
    const message = `invalid message from the client: ${describeError(error)}`;
    return new SessionEnd('protocol_error', message, { code: SqlStates.ProtocolViolation, message });
  }
}
