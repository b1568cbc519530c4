import {
  AuthenticationCode,
  BackendCode,
  EncryptionResponseCode,
  ErrorField,
  type TransactionStatus,
} from './codes.js';
import type { BackendMessage, FieldDescription, NoticeFields } from './backend-messages.js';
import { frontend, valuesSize, writeFormats, writeValues } from './frontend-serializers.js';
import { MessageWriter } from './writer.js';

// Server → client serializers, all written here: pg-protocol has no backend serializer (it is a
// client library). A proxy uses them to answer the client itself: authentication, errors,
// synthetic result sets, rewritten rows.

function empty(code: number): Buffer {
  return new MessageWriter(code, 0).finish();
}

function authentication(code: number, payload?: Uint8Array): Buffer {
  const writer = new MessageWriter(BackendCode.Authentication, 4 + (payload?.length ?? 0)).int32(code);
  return (payload === undefined ? writer : writer.bytes(payload)).finish();
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function authenticationMD5Password(salt: Uint8Array): Buffer {
  if (salt.length !== 4) throw new RangeError(`an MD5 salt is 4 bytes, got ${salt.length}`);
  return authentication(AuthenticationCode.MD5Password, salt);
}

function authenticationSASL(mechanisms: readonly string[]): Buffer {
  const writer = new MessageWriter(BackendCode.Authentication).int32(AuthenticationCode.SASL);
  for (const mechanism of mechanisms) {
    if (mechanism === '') throw new RangeError('a SASL mechanism name cannot be empty');
    writer.cstring(mechanism);
  }
  return writer.int8(0).finish();
}

function backendKeyData(processId: number, secretKey: Uint8Array | number): Buffer {
  const writer = new MessageWriter(BackendCode.BackendKeyData).int32(processId);
  return (typeof secretKey === 'number' ? writer.int32(secretKey) : writer.bytes(secretKey)).finish();
}

function readyForQuery(status: TransactionStatus): Buffer {
  return new MessageWriter(BackendCode.ReadyForQuery, 1).int8(status.charCodeAt(0)).finish();
}

function parameterDescription(paramTypes: readonly number[]): Buffer {
  const writer = new MessageWriter(BackendCode.ParameterDescription, 2 + 4 * paramTypes.length);
  writer.count16(paramTypes.length);
  for (const oid of paramTypes) writer.uint32(oid);
  return writer.finish();
}

/** Defaults describe a computed text column of unknown type, like `SELECT 'x'`. */
export type FieldDescriptionInput = Pick<FieldDescription, 'name'> & Partial<FieldDescription>;

function rowDescription(fields: readonly FieldDescriptionInput[]): Buffer {
  const writer = new MessageWriter(BackendCode.RowDescription).count16(fields.length);
  for (const field of fields) {
    writer
      .cstring(field.name)
      .uint32(field.tableOid ?? 0)
      .int16(field.columnAttribute ?? 0)
      .uint32(field.typeOid ?? 25)
      .int16(field.typeSize ?? -1)
      .int32(field.typeModifier ?? -1)
      .int16(field.format ?? 0);
  }
  return writer.finish();
}

/** A row from views, Buffers or strings (UTF-8); null is SQL NULL. */
function dataRow(values: readonly (Uint8Array | string | null)[]): Buffer {
  const bytes = values.map((value) => (value === null ? null : bytesOf(value)));
  const writer = new MessageWriter(BackendCode.DataRow, valuesSize(bytes));
  writeValues(writer, bytes);
  return writer.finish();
}

function commandComplete(tag: string): Buffer {
  return new MessageWriter(BackendCode.CommandComplete).cstring(tag).finish();
}

/** Writes fields in the given order; each key must be a single character. */
function noticeFields(code: number, fields: Readonly<NoticeFields>): Buffer {
  const writer = new MessageWriter(code);
  for (const [key, value] of Object.entries(fields)) {
    const fieldCode = key.charCodeAt(0);
    if (key.length !== 1 || fieldCode === 0 || fieldCode > 0xff) {
      throw new RangeError(`a notice field code is one non-NUL byte, got ${JSON.stringify(key)}`);
    }
    writer.int8(fieldCode).cstring(value);
  }
  return writer.int8(0).finish();
}

function notificationResponse(processId: number, channel: string, payload = ''): Buffer {
  return new MessageWriter(BackendCode.NotificationResponse)
    .int32(processId)
    .cstring(channel)
    .cstring(payload)
    .finish();
}

function copyResponse(code: number, format: number, columnFormats: readonly number[]): Buffer {
  const writer = new MessageWriter(code, 3 + 2 * columnFormats.length).int8(format);
  writeFormats(writer, columnFormats);
  return writer.finish();
}

function negotiateProtocolVersion(newestMinorVersion: number, unrecognizedOptions: readonly string[] = []): Buffer {
  const writer = new MessageWriter(BackendCode.NegotiateProtocolVersion)
    .int32(newestMinorVersion)
    .int32(unrecognizedOptions.length);
  for (const option of unrecognizedOptions) writer.cstring(option);
  return writer.finish();
}

function functionCallResponse(result: Uint8Array | null): Buffer {
  return new MessageWriter(BackendCode.FunctionCallResponse, 4 + (result?.length ?? 0)).nullableBytes(result).finish();
}

export type ErrorSeverity = 'ERROR' | 'FATAL' | 'PANIC';
export type NoticeSeverity = 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

export interface NoticeOptions<S extends string> {
  severity: S;
  /** The five-character SQLSTATE, e.g. '28P01' (see `SqlState`). */
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the query text. */
  position?: number;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  routine?: string;
}
export type ErrorResponseOptions = NoticeOptions<ErrorSeverity>;
export type NoticeResponseOptions = NoticeOptions<NoticeSeverity>;

const SQLSTATE = /^[0-9A-Z]{5}$/;

function fieldsOf(options: NoticeOptions<string>): NoticeFields {
  if (!SQLSTATE.test(options.code)) throw new RangeError(`invalid SQLSTATE ${JSON.stringify(options.code)}`);
  // PostgreSQL sends the severity twice: localized (S) and never localized (V).
  const fields: NoticeFields = {
    [ErrorField.Severity]: options.severity,
    [ErrorField.SeverityNonLocalized]: options.severity,
    [ErrorField.Code]: options.code,
    [ErrorField.Message]: options.message,
  };
  const optional: [string, string | number | undefined][] = [
    [ErrorField.Detail, options.detail],
    [ErrorField.Hint, options.hint],
    [ErrorField.Position, options.position],
    [ErrorField.Where, options.where],
    [ErrorField.Schema, options.schema],
    [ErrorField.Table, options.table],
    [ErrorField.Column, options.column],
    [ErrorField.DataType, options.dataType],
    [ErrorField.Constraint, options.constraint],
    [ErrorField.Routine, options.routine],
  ];
  for (const [field, value] of optional) {
    if (value !== undefined) fields[field] = String(value);
  }
  return fields;
}

/** An ErrorResponse as PostgreSQL would send it, e.g. to refuse a session or a statement. */
export function errorResponse(options: ErrorResponseOptions): Buffer {
  return noticeFields(BackendCode.ErrorResponse, fieldsOf(options));
}

/** A NoticeResponse as PostgreSQL would send it, e.g. to warn that a session is recorded. */
export function noticeResponse(options: NoticeResponseOptions): Buffer {
  return noticeFields(BackendCode.NoticeResponse, fieldsOf(options));
}

/** SQLSTATEs a proxy commonly answers with. */
export const SqlState = {
  ProtocolViolation: '08P01',
  ConnectionFailure: '08006',
  FeatureNotSupported: '0A000',
  InvalidAuthorizationSpecification: '28000',
  InvalidPassword: '28P01',
  InsufficientPrivilege: '42501',
  TooManyConnections: '53300',
  QueryCanceled: '57014',
  AdminShutdown: '57P01',
  InternalError: 'XX000',
} as const;

/** Serializers for every server → client message. */
export const backend = {
  /** The one-byte answer to SSLRequest ('S'/'N') or GSSENCRequest ('G'/'N'). */
  encryptionResponse: (accept: boolean, request: 'ssl' | 'gssenc' = 'ssl'): Buffer =>
    Buffer.from([
      accept
        ? request === 'ssl'
          ? EncryptionResponseCode.SSL
          : EncryptionResponseCode.GSSENC
        : EncryptionResponseCode.No,
    ]),
  authenticationOk: (): Buffer => authentication(AuthenticationCode.Ok),
  authenticationKerberosV5: (): Buffer => authentication(AuthenticationCode.KerberosV5),
  authenticationCleartextPassword: (): Buffer => authentication(AuthenticationCode.CleartextPassword),
  authenticationMD5Password,
  authenticationGSS: (): Buffer => authentication(AuthenticationCode.GSS),
  authenticationSSPI: (): Buffer => authentication(AuthenticationCode.SSPI),
  authenticationGSSContinue: (data: Uint8Array): Buffer => authentication(AuthenticationCode.GSSContinue, data),
  authenticationSASL,
  authenticationSASLContinue: (data: Uint8Array | string): Buffer =>
    authentication(AuthenticationCode.SASLContinue, bytesOf(data)),
  authenticationSASLFinal: (data: Uint8Array | string): Buffer =>
    authentication(AuthenticationCode.SASLFinal, bytesOf(data)),
  parameterStatus: (name: string, value: string): Buffer =>
    new MessageWriter(BackendCode.ParameterStatus).cstring(name).cstring(value).finish(),
  backendKeyData,
  readyForQuery,
  parseComplete: (): Buffer => empty(BackendCode.ParseComplete),
  bindComplete: (): Buffer => empty(BackendCode.BindComplete),
  closeComplete: (): Buffer => empty(BackendCode.CloseComplete),
  noData: (): Buffer => empty(BackendCode.NoData),
  portalSuspended: (): Buffer => empty(BackendCode.PortalSuspended),
  emptyQueryResponse: (): Buffer => empty(BackendCode.EmptyQueryResponse),
  parameterDescription,
  rowDescription,
  dataRow,
  commandComplete,
  errorResponse,
  noticeResponse,
  notificationResponse,
  copyInResponse: (format: number, columnFormats: readonly number[]): Buffer =>
    copyResponse(BackendCode.CopyInResponse, format, columnFormats),
  copyOutResponse: (format: number, columnFormats: readonly number[]): Buffer =>
    copyResponse(BackendCode.CopyOutResponse, format, columnFormats),
  copyBothResponse: (format: number, columnFormats: readonly number[]): Buffer =>
    copyResponse(BackendCode.CopyBothResponse, format, columnFormats),
  /** Same bytes as the client's CopyData. */
  copyData: frontend.copyData,
  copyDone: frontend.copyDone,
  negotiateProtocolVersion,
  functionCallResponse,
} as const;

/** Serializes a decoded server → client message back to its bytes. */
export function encodeBackend(message: BackendMessage): Buffer {
  switch (message.type) {
    case 'AuthenticationOk':
      return backend.authenticationOk();
    case 'AuthenticationKerberosV5':
      return backend.authenticationKerberosV5();
    case 'AuthenticationCleartextPassword':
      return backend.authenticationCleartextPassword();
    case 'AuthenticationMD5Password':
      return authenticationMD5Password(message.salt);
    case 'AuthenticationGSS':
      return backend.authenticationGSS();
    case 'AuthenticationSSPI':
      return backend.authenticationSSPI();
    case 'AuthenticationGSSContinue':
      return backend.authenticationGSSContinue(message.data);
    case 'AuthenticationSASL':
      return authenticationSASL(message.mechanisms);
    case 'AuthenticationSASLContinue':
      return backend.authenticationSASLContinue(message.data);
    case 'AuthenticationSASLFinal':
      return backend.authenticationSASLFinal(message.data);
    case 'ParameterStatus':
      return backend.parameterStatus(message.name, message.value);
    case 'BackendKeyData':
      return backendKeyData(message.processId, message.secretKey);
    case 'ReadyForQuery':
      return readyForQuery(message.status);
    case 'ParseComplete':
      return backend.parseComplete();
    case 'BindComplete':
      return backend.bindComplete();
    case 'CloseComplete':
      return backend.closeComplete();
    case 'NoData':
      return backend.noData();
    case 'PortalSuspended':
      return backend.portalSuspended();
    case 'EmptyQueryResponse':
      return backend.emptyQueryResponse();
    case 'ParameterDescription':
      return parameterDescription(message.paramTypes);
    case 'RowDescription':
      return rowDescription(message.fields);
    case 'DataRow':
      return dataRow(message.values);
    case 'CommandComplete':
      return commandComplete(message.tag);
    case 'ErrorResponse':
      return noticeFields(BackendCode.ErrorResponse, message.fields);
    case 'NoticeResponse':
      return noticeFields(BackendCode.NoticeResponse, message.fields);
    case 'NotificationResponse':
      return notificationResponse(message.processId, message.channel, message.payload);
    case 'CopyInResponse':
      return backend.copyInResponse(message.format, message.columnFormats);
    case 'CopyOutResponse':
      return backend.copyOutResponse(message.format, message.columnFormats);
    case 'CopyBothResponse':
      return backend.copyBothResponse(message.format, message.columnFormats);
    case 'CopyData':
      return backend.copyData(message.data);
    case 'CopyDone':
      return backend.copyDone();
    case 'NegotiateProtocolVersion':
      return negotiateProtocolVersion(message.newestMinorVersion, message.unrecognizedOptions);
    case 'FunctionCallResponse':
      return functionCallResponse(message.result);
  }
}
