import { encodeErr, packet } from '@postern/wire-mysql';
import type { SessionError, SessionErrorKind } from '../common/session-end.js';

export { describeError, SessionEnd, type EndReason } from '../common/session-end.js';

/** A MySQL error: the server's error number and its SQLSTATE (what an ERR packet carries). */
export interface MysqlError {
  errno: number;
  sqlState: string;
}

/** The error numbers this engine sends, as MySQL/MariaDB themselves use them. */
export const Errors = {
  /** ER_CON_COUNT_ERROR */
  TooManyConnections: { errno: 1040, sqlState: '08004' },
  /** ER_HANDSHAKE_ERROR */
  BadHandshake: { errno: 1043, sqlState: '08S01' },
  /** ER_DBACCESS_DENIED_ERROR */
  DatabaseAccessDenied: { errno: 1044, sqlState: '42000' },
  /** ER_ACCESS_DENIED_ERROR */
  AccessDenied: { errno: 1045, sqlState: '28000' },
  /** ER_UNKNOWN_COM_ERROR */
  UnknownCommand: { errno: 1047, sqlState: '08S01' },
  /** ER_BAD_DB_ERROR */
  UnknownDatabase: { errno: 1049, sqlState: '42000' },
  /** ER_SERVER_SHUTDOWN */
  ServerShutdown: { errno: 1053, sqlState: '08S01' },
  /** ER_PARSE_ERROR */
  ParseError: { errno: 1064, sqlState: '42000' },
  /** ER_OUT_OF_RESOURCES */
  OutOfMemory: { errno: 1041, sqlState: 'HY000' },
  /** ER_TABLEACCESS_DENIED_ERROR: a statement refused by a rule. */
  StatementDenied: { errno: 1142, sqlState: '42000' },
  /** ER_MALFORMED_PACKET */
  MalformedPacket: { errno: 1835, sqlState: 'HY000' },
  /** ER_NET_PACKET_TOO_LARGE */
  PacketTooLarge: { errno: 1153, sqlState: '08S01' },
  /** ER_NET_READ_INTERRUPTED: a step did not finish in time. */
  Timeout: { errno: 1159, sqlState: '08S01' },
  /** ER_NEW_ABORTING_CONNECTION */
  AbortingConnection: { errno: 1184, sqlState: '08S01' },
  /** ER_SPECIFIC_ACCESS_DENIED_ERROR: a command Postern does not allow. */
  CommandDenied: { errno: 1227, sqlState: '42000' },
  /** ER_NOT_SUPPORTED_AUTH_MODE */
  AuthModeNotSupported: { errno: 1251, sqlState: '08004' },
  /** ER_CONNECTION_KILLED (MariaDB): revocation, shutdown. */
  ConnectionKilled: { errno: 1927, sqlState: '70100' },
  /** ER_INTERNAL_ERROR */
  Internal: { errno: 1815, sqlState: 'HY000' },
  /** ER_SECURE_TRANSPORT_REQUIRED (MySQL 5.7+) */
  SecureTransportRequired: { errno: 3159, sqlState: 'HY000' },
} as const satisfies Record<string, MysqlError>;

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
