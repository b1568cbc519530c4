import { SessionAbortError, type SessionSummary } from '../engine.js';

export type EndReason = SessionSummary['endReason'];

/**
 * What went wrong, in words every engine can render in its own protocol: PostgreSQL as an
 * ErrorResponse with a SQLSTATE, MySQL as an ERR packet with an error number, SSH as a
 * disconnect reason. The kit (proxy loop, deadlines, budgets) speaks only these.
 */
export type SessionErrorKind =
  /** The peer broke the protocol. */
  | 'protocol_violation'
  /** A message exceeded a size limit. */
  | 'message_too_large'
  /** A memory budget was exceeded. */
  | 'out_of_memory'
  /** The link to the target was lost. */
  | 'connection_lost'
  /** The session was ended by an operator's order: revocation, shutdown, a failed recording. */
  | 'administrator_shutdown'
  /** A step did not finish in time. */
  | 'timeout'
  /** Postern failed (a bug, an enforcement failure): the client learns nothing more. */
  | 'internal';

interface SessionErrorText {
  message: string;
  detail?: string;
  hint?: string;
}

/**
 * What the client is told when the session ends on our side. `kind` is the neutral reason;
 * `code`, set only by engine code, is a protocol-native code that wins over it.
 */
export type SessionError = SessionErrorText &
  ({ kind: SessionErrorKind; code?: string } | { kind?: SessionErrorKind; code: string });

/**
 * Ends a session from any phase. `message` goes to the log and the session summary (never a
 * secret); `fatal` is what the client sees, if anything, rendered by the engine in its protocol.
 * Thrown by the phases, caught once by the session, so each phase can stop with a single `throw`.
 */
export class SessionEnd extends Error {
  override readonly name = 'SessionEnd';

  /** True for an orderly end (a goodbye message, a peer closing): the summary then carries no error. */
  clean = false;

  constructor(
    readonly reason: EndReason,
    message: string,
    readonly fatal?: SessionError,
  ) {
    super(message);
  }

  static clean(reason: EndReason, message: string): SessionEnd {
    const end = new SessionEnd(reason, message);
    end.clean = true;
    return end;
  }
}

/** Turns anything thrown into a loggable message without its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/**
 * How a session ends when its signal aborts (revocation, agent shutdown, a strict recording that
 * failed), told in neutral words: each engine renders the `administrator_shutdown` error in its
 * protocol (PostgreSQL: FATAL 57P01). Any reason other than a SessionAbortError is a revocation.
 */
export function endForAbort(signal: AbortSignal): SessionEnd {
  const reason: unknown = signal.reason;
  if (reason instanceof SessionAbortError && reason.kind === 'recording_failed') {
    return new SessionEnd('error', `recording failed: ${reason.message}`, {
      kind: 'administrator_shutdown',
      message: 'terminating connection: the session recording cannot be stored (strict recording)',
    });
  }
  const shutdown = reason instanceof SessionAbortError && reason.kind === 'agent_shutdown';
  return shutdown
    ? new SessionEnd('agent_shutdown', 'agent shutting down', {
        kind: 'administrator_shutdown',
        message: 'terminating connection: the Postern agent is shutting down',
      })
    : new SessionEnd('revoked', 'session revoked', {
        kind: 'administrator_shutdown',
        message: 'terminating connection: access revoked',
      });
}
