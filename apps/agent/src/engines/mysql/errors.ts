import { encodeErr, packet, ServerError, type ServerErrorCode } from '@postern/wire-mysql';
import type { SessionError, SessionErrorKind } from '../common/session-end.js';

export { describeError, SessionEnd, type EndReason } from '../common/session-end.js';

/** A MySQL error: the server's error number and its SQLSTATE (what an ERR packet carries). */
export type MysqlError = ServerErrorCode;

/** The error numbers this engine sends (shared with the relay's front door, in wire-mysql). */
export const Errors = ServerError;

/** A SessionError's protocol-native `code` for MySQL: "errno/SQLSTATE". */
export function errorCode(error: MysqlError): string {
  return `${error.errno}/${error.sqlState}`;
}

const ERROR_OF: Record<SessionErrorKind, MysqlError> = {
  protocol_violation: Errors.BadHandshake,
  message_too_large: Errors.PacketTooLarge,
  out_of_memory: Errors.OutOfMemory,
  connection_lost: Errors.AbortingConnection,
  administrator_shutdown: Errors.ConnectionKilled,
  timeout: Errors.Timeout,
  internal: Errors.Internal,
};

/** The error of a session end, as MySQL says it. */
export function errorOf(fatal: SessionError): MysqlError {
  if (fatal.code !== undefined) {
    const [errno, sqlState] = fatal.code.split('/');
    const number = Number(errno);
    if (Number.isInteger(number) && sqlState !== undefined && /^[0-9A-Z]{5}$/.test(sqlState)) {
      return { errno: number, sqlState };
    }
  }
  return ERROR_OF[fatal.kind ?? 'internal'];
}

/** An ERR packet (header included) with `sequenceId`. */
export function errPacket(error: MysqlError, message: string, sequenceId: number): Buffer {
  return packet(encodeErr({ code: error.errno, sqlState: error.sqlState, message }), sequenceId);
}

/** A session end, as MySQL says it: one ERR packet. */
export function fatalPacket(fatal: SessionError, sequenceId: number): Buffer {
  const text = fatal.hint === undefined ? fatal.message : `${fatal.message} (${fatal.hint})`;
  return errPacket(errorOf(fatal), text, sequenceId);
}
