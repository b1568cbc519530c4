// Numbers of the MySQL client/server protocol, as plain `as const` objects (they exist at runtime
// under per-file compilation, unlike `const enum`). Names follow the server sources without the
// `CLIENT_` / `SERVER_` / `MYSQL_TYPE_` prefixes.

/** Lower 32 capability bits (HandshakeV10 / HandshakeResponse41 `capability_flags`). */
export const Capability = {
  /** MySQL: new, more secure passwords. MariaDB calls this bit CLIENT_MYSQL; a MariaDB server clears it. */
  LONG_PASSWORD: 1,
  FOUND_ROWS: 1 << 1,
  LONG_FLAG: 1 << 2,
  CONNECT_WITH_DB: 1 << 3,
  NO_SCHEMA: 1 << 4,
  COMPRESS: 1 << 5,
  ODBC: 1 << 6,
  LOCAL_FILES: 1 << 7,
  IGNORE_SPACE: 1 << 8,
  PROTOCOL_41: 1 << 9,
  INTERACTIVE: 1 << 10,
  SSL: 1 << 11,
  IGNORE_SIGPIPE: 1 << 12,
  TRANSACTIONS: 1 << 13,
  RESERVED: 1 << 14,
  /** Also named RESERVED2: auth response as a 1-byte length + data. */
  SECURE_CONNECTION: 1 << 15,
  MULTI_STATEMENTS: 1 << 16,
  MULTI_RESULTS: 1 << 17,
  PS_MULTI_RESULTS: 1 << 18,
  PLUGIN_AUTH: 1 << 19,
  CONNECT_ATTRS: 1 << 20,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  CAN_HANDLE_EXPIRED_PASSWORDS: 1 << 22,
  SESSION_TRACK: 1 << 23,
  DEPRECATE_EOF: 1 << 24,
  OPTIONAL_RESULTSET_METADATA: 1 << 25,
  ZSTD_COMPRESSION_ALGORITHM: 1 << 26,
  QUERY_ATTRIBUTES: 1 << 27,
  MULTI_FACTOR_AUTHENTICATION: 1 << 28,
  CAPABILITY_EXTENSION: 1 << 29,
  SSL_VERIFY_SERVER_CERT: 1 << 30,
  /** 2^31 as a positive number: test with `(flags & Capability.REMEMBER_OPTIONS) !== 0`. */
  REMEMBER_OPTIONS: 2 ** 31,
} as const;

/** MariaDB's name for bit 0: set by MySQL servers and clients, cleared by MariaDB ones. */
export const CLIENT_MYSQL = Capability.LONG_PASSWORD;

/**
 * MariaDB's extended capabilities (bits 32..63 of its 64-bit flags), shifted down by 32: they
 * travel in the last 4 filler bytes of HandshakeV10 and HandshakeResponse41 when CLIENT_MYSQL
 * is cleared.
 */
export const MariaDbCapability = {
  PROGRESS: 1,
  COM_MULTI: 1 << 1,
  STMT_BULK_OPERATIONS: 1 << 2,
  /** Column definitions carry an extended type-info string (after org_name). */
  EXTENDED_METADATA: 1 << 3,
  /** Column count is followed by a metadata-follows byte; the server may omit column definitions. */
  CACHE_METADATA: 1 << 4,
  BULK_UNIT_RESULTS: 1 << 5,
} as const;

/** Server status flags (OK, EOF, prepare responses). */
export const ServerStatus = {
  IN_TRANS: 1,
  AUTOCOMMIT: 1 << 1,
  MORE_RESULTS_EXISTS: 1 << 3,
  NO_GOOD_INDEX_USED: 1 << 4,
  NO_INDEX_USED: 1 << 5,
  CURSOR_EXISTS: 1 << 6,
  LAST_ROW_SENT: 1 << 7,
  DB_DROPPED: 1 << 8,
  NO_BACKSLASH_ESCAPES: 1 << 9,
  METADATA_CHANGED: 1 << 10,
  QUERY_WAS_SLOW: 1 << 11,
  PS_OUT_PARAMS: 1 << 12,
  IN_TRANS_READONLY: 1 << 13,
  SESSION_STATE_CHANGED: 1 << 14,
} as const;

/** The first byte of every command payload. */
export const Command = {
  SLEEP: 0x00,
  QUIT: 0x01,
  INIT_DB: 0x02,
  QUERY: 0x03,
  FIELD_LIST: 0x04,
  CREATE_DB: 0x05,
  DROP_DB: 0x06,
  REFRESH: 0x07,
  SHUTDOWN: 0x08,
  STATISTICS: 0x09,
  PROCESS_INFO: 0x0a,
  CONNECT: 0x0b,
  PROCESS_KILL: 0x0c,
  DEBUG: 0x0d,
  PING: 0x0e,
  TIME: 0x0f,
  DELAYED_INSERT: 0x10,
  CHANGE_USER: 0x11,
  BINLOG_DUMP: 0x12,
  TABLE_DUMP: 0x13,
  CONNECT_OUT: 0x14,
  REGISTER_SLAVE: 0x15,
  STMT_PREPARE: 0x16,
  STMT_EXECUTE: 0x17,
  STMT_SEND_LONG_DATA: 0x18,
  STMT_CLOSE: 0x19,
  STMT_RESET: 0x1a,
  SET_OPTION: 0x1b,
  STMT_FETCH: 0x1c,
  DAEMON: 0x1d,
  BINLOG_DUMP_GTID: 0x1e,
  RESET_CONNECTION: 0x1f,
  CLONE: 0x20,
  /** MariaDB: bulk (array) execution of a prepared statement. */
  STMT_BULK_EXECUTE: 0xfa,
  /** MariaDB: several commands in one packet. */
  MULTI: 0xfe,
} as const;
export type CommandCode = (typeof Command)[keyof typeof Command];

/** Column and parameter types (`enum_field_types`). */
export const ColumnType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  TYPED_ARRAY: 20,
  VECTOR: 242,
  INVALID: 243,
  BOOL: 244,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

/** Column definition flags. */
export const ColumnFlag = {
  NOT_NULL: 1,
  PRI_KEY: 1 << 1,
  UNIQUE_KEY: 1 << 2,
  MULTIPLE_KEY: 1 << 3,
  BLOB: 1 << 4,
  UNSIGNED: 1 << 5,
  ZEROFILL: 1 << 6,
  BINARY: 1 << 7,
  ENUM: 1 << 8,
  AUTO_INCREMENT: 1 << 9,
  TIMESTAMP: 1 << 10,
  SET: 1 << 11,
  NO_DEFAULT_VALUE: 1 << 12,
  ON_UPDATE_NOW: 1 << 13,
  NUM: 1 << 15,
} as const;

/** The high bit of a binary parameter's second type byte: the integer is unsigned. */
export const PARAM_UNSIGNED = 0x80;

/** COM_STMT_EXECUTE flags (cursor type plus MySQL 8's parameter-count flag). */
export const CursorFlag = {
  NO_CURSOR: 0,
  READ_ONLY: 1,
  FOR_UPDATE: 2,
  SCROLLABLE: 4,
  /** MySQL 8 with QUERY_ATTRIBUTES: a length-encoded parameter count follows the iteration count. */
  PARAMETER_COUNT_AVAILABLE: 8,
} as const;

/** COM_SET_OPTION values. */
export const SetOption = { MULTI_STATEMENTS_ON: 0, MULTI_STATEMENTS_OFF: 1 } as const;

/** Session state change types (OK packet, CLIENT_SESSION_TRACK). */
export const SessionTrack = {
  SYSTEM_VARIABLES: 0,
  SCHEMA: 1,
  STATE_CHANGE: 2,
  GTIDS: 3,
  TRANSACTION_CHARACTERISTICS: 4,
  TRANSACTION_STATE: 5,
} as const;

/** A few collation ids (the handshake's and column definitions' `character_set`). */
export const Charset = {
  BIG5_CHINESE_CI: 1,
  LATIN1_SWEDISH_CI: 8,
  ASCII_GENERAL_CI: 11,
  UTF8MB3_GENERAL_CI: 33,
  UTF8MB4_GENERAL_CI: 45,
  UTF8MB4_BIN: 46,
  BINARY: 63,
  UTF8MB3_UNICODE_CI: 192,
  UTF8MB4_UNICODE_CI: 224,
  UTF8MB4_0900_AI_CI: 255,
} as const;

/** Node's name for the text encoding of a collation id, for the common ones; undefined otherwise. */
export function charsetEncoding(collation: number): 'utf8' | 'latin1' | 'ascii' | 'binary' | undefined {
  if (collation === Charset.BINARY) return 'binary';
  if (collation === Charset.LATIN1_SWEDISH_CI || (collation >= 47 && collation <= 49) || collation === 5) {
    return 'latin1';
  }
  if (collation === Charset.ASCII_GENERAL_CI || collation === 65) return 'ascii';
  if (
    collation === 33 ||
    collation === 45 ||
    collation === 46 ||
    collation === 83 ||
    (collation >= 192 && collation <= 247) ||
    (collation >= 255 && collation <= 323)
  ) {
    return 'utf8';
  }
  return undefined;
}

/** Header bytes that tell responses apart. */
export const ResponseHeader = {
  OK: 0x00,
  AUTH_MORE_DATA: 0x01,
  LOCAL_INFILE: 0xfb,
  /** EOF, AuthSwitchRequest, and (CLIENT_DEPRECATE_EOF) the OK that ends a result set. */
  EOF: 0xfe,
  ERR: 0xff,
} as const;

/** The server's answers inside caching_sha2_password's AuthMoreData. */
export const CachingSha2 = {
  /** Client asks for the server's RSA public key (sent by the client as a 1-byte payload). */
  REQUEST_PUBLIC_KEY: 0x02,
  FAST_AUTH_SUCCESS: 0x03,
  PERFORM_FULL_AUTHENTICATION: 0x04,
} as const;

/** Auth plugin names. */
export const AuthPlugin = {
  NATIVE_PASSWORD: 'mysql_native_password',
  CACHING_SHA2_PASSWORD: 'caching_sha2_password',
  SHA256_PASSWORD: 'sha256_password',
  CLEAR_PASSWORD: 'mysql_clear_password',
  ED25519: 'client_ed25519',
} as const;

/** Payload length of one full packet: a message this long or longer continues in the next packet. */
export const MAX_PACKET_PAYLOAD = 0xff_ffff;
/** The header of every packet: 3-byte little-endian payload length and a sequence id. */
export const PACKET_HEADER_SIZE = 4;
