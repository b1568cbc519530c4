import { errorResponse, type ErrorResponseOptions } from '@postern/wire-postgres';
import type { SessionError, SessionErrorKind } from '../common/session-end.js';

export { describeError, SessionEnd, type EndReason } from '../common/session-end.js';
/** What the client is told when the session ends on our side (rendered as one FATAL ErrorResponse). */
export type ClientFatal = SessionError;

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

/** The SQLSTATE PostgreSQL itself would send for each of the kit's neutral session errors. */
const SQLSTATE_OF: Record<SessionErrorKind, string> = {
  protocol_violation: SqlStates.ProtocolViolation,
  message_too_large: SqlStates.ProgramLimitExceeded,
  out_of_memory: SqlStates.OutOfMemory,
  connection_lost: SqlStates.ConnectionFailure,
  administrator_shutdown: SqlStates.AdminShutdown,
  timeout: SqlStates.QueryCanceled,
  internal: SqlStates.InternalError,
};

/** A session end, as PostgreSQL says it: one FATAL ErrorResponse. */
export function fatalResponse(fatal: SessionError): Buffer {
  const code = fatal.code ?? SQLSTATE_OF[fatal.kind ?? 'internal'];
  const options: ErrorResponseOptions = { severity: 'FATAL', code, message: fatal.message };
  if (fatal.detail !== undefined) options.detail = fatal.detail;
  if (fatal.hint !== undefined) options.hint = fatal.hint;
  return errorResponse(options);
}
