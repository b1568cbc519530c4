// @postern/wire-postgres: a pure, streaming codec for the PostgreSQL v3 wire protocol.
// Bytes in, frames out (views, decoded on demand); messages in, Buffers out. No I/O.

export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export {
  AuthenticationCode,
  BackendCode,
  EncryptionResponseCode,
  ErrorField,
  FormatCode,
  FrontendCode,
  PG_LARGE_MESSAGE_LIMIT,
  PG_MAX_AUTH_TOKEN_LENGTH,
  PG_MAX_STARTUP_PACKET_LENGTH,
  PG_SMALL_MESSAGE_LIMIT,
  StartupRequestCode,
  type TransactionStatus,
} from './codes.js';
export type { Frame, FrameHandler, FrameKind } from './frame.js';
export { FrameParser } from './frame-parser.js';
export { DEFAULT_FRONTEND_MAX_MESSAGE_LENGTH, FrontendParser, type FrontendParserOptions } from './frontend-parser.js';
export { BackendParser, type BackendParserOptions } from './backend-parser.js';
export { effectiveFormat } from './decode-util.js';
export * from './frontend-messages.js';
export * from './frontend-decoders.js';
export * from './backend-messages.js';
export * from './backend-decoders.js';
export {
  encodeFrontend,
  frontend,
  type BindOptions,
  type FunctionCallOptions,
  type ParseOptions,
  type StartupParameters,
} from './frontend-serializers.js';
export {
  backend,
  encodeBackend,
  errorResponse,
  noticeResponse,
  SqlState,
  type ErrorResponseOptions,
  type ErrorSeverity,
  type FieldDescriptionInput,
  type NoticeOptions,
  type NoticeResponseOptions,
  type NoticeSeverity,
} from './backend-serializers.js';
export { md5Password, md5PasswordFromHash, md5PasswordHash } from './auth/md5.js';
export { saslprep } from './auth/saslprep.js';
export {
  DEFAULT_MAX_SCRAM_ITERATIONS,
  parseScramServerFirst,
  SCRAM_SHA_256,
  scramClientFinal,
  scramClientFirst,
  scramKeys,
  verifyScramServerFinal,
  type ScramClientFinal,
  type ScramClientFirst,
  type ScramClientFirstOptions,
  type ScramKeyDerivation,
  type ScramKeys,
  type ScramServerFirst,
} from './auth/scram.js';
export {
  bindHead,
  COPY_DATA_HEADER_SIZE,
  commandTag,
  copyDataPayload,
  DATA_ROW_HEADER_SIZE,
  MessageLayoutError,
  describeTarget,
  errorCodeAndMessage,
  executePortal,
  parseHead,
  querySql,
  sealMessage,
  walkDataRow,
  type BindHead,
} from './views.js';
