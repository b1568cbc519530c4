/**
 * Message type bytes and magic numbers of the PostgreSQL v3 protocol.
 *
 * Plain `as const` objects rather than `const enum`: the tests compile each file alone (swc,
 * isolatedModules), where a `const enum` from another file has no runtime value.
 */

/** Type bytes of typed messages sent by the client. */
export const FrontendCode = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Flush: 0x48, // 'H'
  FunctionCall: 0x46, // 'F'
  Parse: 0x50, // 'P'
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share 'p'. */
  Password: 0x70, // 'p'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58, // 'X'
} as const;
export type FrontendCode = (typeof FrontendCode)[keyof typeof FrontendCode];

/** Type bytes of typed messages sent by the server. */
export const BackendCode = {
  Authentication: 0x52, // 'R'
  BackendKeyData: 0x4b, // 'K'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  CommandComplete: 0x43, // 'C'
  CopyBothResponse: 0x57, // 'W'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  DataRow: 0x44, // 'D'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  FunctionCallResponse: 0x56, // 'V'
  NegotiateProtocolVersion: 0x76, // 'v'
  NoData: 0x6e, // 'n'
  NoticeResponse: 0x4e, // 'N'
  NotificationResponse: 0x41, // 'A'
  ParameterDescription: 0x74, // 't'
  ParameterStatus: 0x53, // 'S'
  ParseComplete: 0x31, // '1'
  PortalSuspended: 0x73, // 's'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54, // 'T'
} as const;
export type BackendCode = (typeof BackendCode)[keyof typeof BackendCode];

/** The int32 after the length word of an untyped startup-phase packet. */
export const StartupRequestCode = {
  /** Protocol 3.0 (major 3 in the high 16 bits, minor 0 in the low 16 bits). */
  Protocol3: 196608,
  CancelRequest: 80877102,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
} as const;

/** The single byte a server answers an SSLRequest or GSSENCRequest with. */
export const EncryptionResponseCode = {
  /** SSLRequest accepted: a TLS handshake follows. */
  SSL: 0x53, // 'S'
  /** GSSENCRequest accepted: GSSAPI encryption setup follows. */
  GSSENC: 0x47, // 'G'
  /** Refused: the client may continue in plaintext (or another request). */
  No: 0x4e, // 'N'
} as const;

/** The int32 that selects the kind of an Authentication ('R') message. */
export const AuthenticationCode = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** Field codes of ErrorResponse and NoticeResponse. */
export const ErrorField = {
  Severity: 'S',
  SeverityNonLocalized: 'V',
  Code: 'C',
  Message: 'M',
  Detail: 'D',
  Hint: 'H',
  Position: 'P',
  InternalPosition: 'p',
  InternalQuery: 'q',
  Where: 'W',
  Schema: 's',
  Table: 't',
  Column: 'c',
  DataType: 'd',
  Constraint: 'n',
  File: 'F',
  Line: 'L',
  Routine: 'R',
} as const;

/** Transaction status carried by ReadyForQuery. */
export type TransactionStatus = 'I' | 'T' | 'E';

/** Format codes of Bind, RowDescription and the Copy*Response messages. */
export const FormatCode = { Text: 0, Binary: 1 } as const;

/**
 * Size limits PostgreSQL applies to what a client sends (postgres.c SocketBackend): control
 * messages are small, auth tokens at most 64 KiB, the startup packet at most 10000 bytes.
 */
export const PG_SMALL_MESSAGE_LIMIT = 10_000;
export const PG_MAX_AUTH_TOKEN_LENGTH = 65_535;
export const PG_MAX_STARTUP_PACKET_LENGTH = 10_000;
/** MaxAllocSize - 1: the most a PostgreSQL server can put in one message. */
export const PG_LARGE_MESSAGE_LIMIT = 0x3fff_ffff;
