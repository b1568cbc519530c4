import { errorResponse, type ErrorResponseOptions } from '@postern/wire-postgres';
import type { SessionSummary } from '../engine.js';

export type EndReason = SessionSummary['endReason'];

/** What the client is told when the session ends on our side: one FATAL ErrorResponse. */
export interface ClientFatal {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/**
 * Ends a session from any phase. `message` goes to the log and the session summary (never a
 * secret); `fatal` is what the client sees, if anything. Thrown by the phases, caught once by
 * the session, so each phase can stop with a single `throw`.
 */
export class SessionEnd extends Error {
  override readonly name = 'SessionEnd';

  /** True for an orderly end (Terminate, a peer closing): the summary then carries no error. */
  clean = false;

  constructor(
    readonly reason: EndReason,
    message: string,
    readonly fatal?: ClientFatal,
  ) {
    super(message);
  }

  static clean(reason: EndReason, message: string): SessionEnd {
    const end = new SessionEnd(reason, message);
    end.clean = true;
    return end;
  }
}

export function fatalResponse(fatal: ClientFatal): Buffer {
  const options: ErrorResponseOptions = { severity: 'FATAL', code: fatal.code, message: fatal.message };
  if (fatal.detail !== undefined) options.detail = fatal.detail;
  if (fatal.hint !== undefined) options.hint = fatal.hint;
  return errorResponse(options);
}

/** SQLSTATEs this engine sends (PostgreSQL's errcodes.txt). */
export const SqlStates = {
  ProtocolViolation: '08P01',
  SqlclientUnableToEstablishConnection: '08001',
  ConnectionFailure: '08006',
  FeatureNotSupported: '0A000',
  InvalidAuthorizationSpecification: '28000',
  InvalidPassword: '28P01',
  InFailedTransaction: '25P02',
  InvalidCatalogName: '3D000',
  SyntaxError: '42601',
  InsufficientPrivilege: '42501',
  OutOfMemory: '53200',
  TooManyConnections: '53300',
  ProgramLimitExceeded: '54000',
  QueryCanceled: '57014',
  AdminShutdown: '57P01',
  CannotConnectNow: '57P03',
  InternalError: 'XX000',
} as const;

/** Turns anything thrown into a loggable message without its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
