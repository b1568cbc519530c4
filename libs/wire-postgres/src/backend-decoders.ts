import { AuthenticationCode, BackendCode } from './codes.js';
import { malformed, ProtocolError } from './errors.js';
import type { Frame } from './frame.js';
import { decodeEmpty, describeFrame, messageReader, readFormats, readNullableValues } from './decode-util.js';
import { decodeCopyData, decodeCopyDone } from './frontend-decoders.js';
import type { PasswordContext } from './frontend-messages.js';
import type {
  Authentication,
  BackendKeyData,
  BackendMessage,
  BindComplete,
  CloseComplete,
  CommandComplete,
  CopyBothResponse,
  CopyInResponse,
  CopyOutResponse,
  CopyResponse,
  DataRow,
  EmptyQueryResponse,
  ErrorResponse,
  FieldDescription,
  FunctionCallResponse,
  NegotiateProtocolVersion,
  NoData,
  NoticeFields,
  NoticeResponse,
  NotificationResponse,
  ParameterDescription,
  ParameterStatus,
  ParseComplete,
  PortalSuspended,
  ReadyForQuery,
  RowDescription,
} from './backend-messages.js';
import type { BodyReader } from './reader.js';

// Lazy decoders for server → client frames; same checks as frontend-decoders.ts.

const MAX_SECRET_KEY_LENGTH = 256;
const MD5_SALT_LENGTH = 4;

export function decodeAuthentication(frame: Frame): Authentication {
  const reader = messageReader(frame, BackendCode.Authentication, 'Authentication');
  const code = reader.int32();
  let message: Authentication;
  switch (code) {
    case AuthenticationCode.Ok:
      message = { type: 'AuthenticationOk' };
      break;
    case AuthenticationCode.KerberosV5:
      message = { type: 'AuthenticationKerberosV5' };
      break;
    case AuthenticationCode.CleartextPassword:
      message = { type: 'AuthenticationCleartextPassword' };
      break;
    case AuthenticationCode.MD5Password:
      message = { type: 'AuthenticationMD5Password', salt: reader.bytes(MD5_SALT_LENGTH) };
      break;
    case AuthenticationCode.GSS:
      message = { type: 'AuthenticationGSS' };
      break;
    case AuthenticationCode.SSPI:
      message = { type: 'AuthenticationSSPI' };
      break;
    case AuthenticationCode.GSSContinue:
      return { type: 'AuthenticationGSSContinue', data: reader.rest() };
    case AuthenticationCode.SASL:
      message = { type: 'AuthenticationSASL', mechanisms: readMechanisms(reader) };
      break;
    case AuthenticationCode.SASLContinue:
      return { type: 'AuthenticationSASLContinue', data: reader.rest() };
    case AuthenticationCode.SASLFinal:
      return { type: 'AuthenticationSASLFinal', data: reader.rest() };
    default:
      throw malformed(`Authentication: unknown request code ${code}`);
  }
  reader.end();
  return message;
}

/** The meaning the next 'p' message from the client takes after this authentication request. */
export function passwordContextFor(auth: Authentication): PasswordContext | undefined {
  switch (auth.type) {
    case 'AuthenticationCleartextPassword':
    case 'AuthenticationMD5Password':
      return 'password';
    case 'AuthenticationSASL':
      return 'sasl-initial';
    case 'AuthenticationSASLContinue':
      return 'sasl';
    default:
      return undefined;
  }
}

export function decodeParameterStatus(frame: Frame): ParameterStatus {
  const reader = messageReader(frame, BackendCode.ParameterStatus, 'ParameterStatus');
  const name = reader.cstring();
  const value = reader.cstring();
  reader.end();
  return { type: 'ParameterStatus', name, value };
}

export function decodeBackendKeyData(frame: Frame): BackendKeyData {
  const reader = messageReader(frame, BackendCode.BackendKeyData, 'BackendKeyData');
  const processId = reader.int32();
  const secretKey = reader.rest();
  if (secretKey.length < 4 || secretKey.length > MAX_SECRET_KEY_LENGTH) {
    throw malformed(`BackendKeyData: secret key of ${secretKey.length} bytes`);
  }
  return { type: 'BackendKeyData', processId, secretKey };
}

export function decodeReadyForQuery(frame: Frame): ReadyForQuery {
  const reader = messageReader(frame, BackendCode.ReadyForQuery, 'ReadyForQuery');
  const status = String.fromCharCode(reader.int8());
  reader.end();
  if (status !== 'I' && status !== 'T' && status !== 'E') {
    throw malformed(`ReadyForQuery: invalid transaction status ${JSON.stringify(status)}`);
  }
  return { type: 'ReadyForQuery', status };
}

export function decodeParseComplete(frame: Frame): ParseComplete {
  return decodeEmpty(frame, BackendCode.ParseComplete, 'ParseComplete');
}

export function decodeBindComplete(frame: Frame): BindComplete {
  return decodeEmpty(frame, BackendCode.BindComplete, 'BindComplete');
}

export function decodeCloseComplete(frame: Frame): CloseComplete {
  return decodeEmpty(frame, BackendCode.CloseComplete, 'CloseComplete');
}

export function decodeNoData(frame: Frame): NoData {
  return decodeEmpty(frame, BackendCode.NoData, 'NoData');
}

export function decodePortalSuspended(frame: Frame): PortalSuspended {
  return decodeEmpty(frame, BackendCode.PortalSuspended, 'PortalSuspended');
}

export function decodeEmptyQueryResponse(frame: Frame): EmptyQueryResponse {
  return decodeEmpty(frame, BackendCode.EmptyQueryResponse, 'EmptyQueryResponse');
}

export function decodeParameterDescription(frame: Frame): ParameterDescription {
  const reader = messageReader(frame, BackendCode.ParameterDescription, 'ParameterDescription');
  const count = reader.count16(4);
  const paramTypes = new Array<number>(count);
  for (let i = 0; i < count; i++) paramTypes[i] = reader.uint32();
  reader.end();
  return { type: 'ParameterDescription', paramTypes };
}

/** Smallest encoding of one RowDescription field: empty name + 18 bytes of attributes. */
const MIN_FIELD_SIZE = 19;

export function decodeRowDescription(frame: Frame): RowDescription {
  const reader = messageReader(frame, BackendCode.RowDescription, 'RowDescription');
  const count = reader.count16(MIN_FIELD_SIZE);
  const fields = new Array<FieldDescription>(count);
  for (let i = 0; i < count; i++) {
    fields[i] = {
      name: reader.cstring(),
      tableOid: reader.uint32(),
      columnAttribute: reader.int16(),
      typeOid: reader.uint32(),
      typeSize: reader.int16(),
      typeModifier: reader.int32(),
      format: reader.int16(),
    };
  }
  reader.end();
  return { type: 'RowDescription', fields };
}

export function decodeDataRow(frame: Frame): DataRow {
  const reader = messageReader(frame, BackendCode.DataRow, 'DataRow');
  const values = readNullableValues(reader);
  reader.end();
  return { type: 'DataRow', values };
}

export function decodeCommandComplete(frame: Frame): CommandComplete {
  const reader = messageReader(frame, BackendCode.CommandComplete, 'CommandComplete');
  const tag = reader.cstring();
  reader.end();
  return { type: 'CommandComplete', tag };
}

export function decodeErrorResponse(frame: Frame): ErrorResponse {
  const reader = messageReader(frame, BackendCode.ErrorResponse, 'ErrorResponse');
  return { type: 'ErrorResponse', fields: readNoticeFields(reader) };
}

export function decodeNoticeResponse(frame: Frame): NoticeResponse {
  const reader = messageReader(frame, BackendCode.NoticeResponse, 'NoticeResponse');
  return { type: 'NoticeResponse', fields: readNoticeFields(reader) };
}

export function decodeNotificationResponse(frame: Frame): NotificationResponse {
  const reader = messageReader(frame, BackendCode.NotificationResponse, 'NotificationResponse');
  const processId = reader.int32();
  const channel = reader.cstring();
  const payload = reader.cstring();
  reader.end();
  return { type: 'NotificationResponse', processId, channel, payload };
}

export function decodeCopyInResponse(frame: Frame): CopyInResponse {
  return decodeCopyResponse(frame, BackendCode.CopyInResponse, 'CopyInResponse');
}

export function decodeCopyOutResponse(frame: Frame): CopyOutResponse {
  return decodeCopyResponse(frame, BackendCode.CopyOutResponse, 'CopyOutResponse');
}

export function decodeCopyBothResponse(frame: Frame): CopyBothResponse {
  return decodeCopyResponse(frame, BackendCode.CopyBothResponse, 'CopyBothResponse');
}

export function decodeNegotiateProtocolVersion(frame: Frame): NegotiateProtocolVersion {
  const reader = messageReader(frame, BackendCode.NegotiateProtocolVersion, 'NegotiateProtocolVersion');
  const newestMinorVersion = reader.int32();
  const count = reader.int32();
  if (count < 0 || count > reader.remaining) {
    throw malformed(`NegotiateProtocolVersion: ${count} options cannot fit in ${reader.remaining} bytes`);
  }
  const unrecognizedOptions = new Array<string>(count);
  for (let i = 0; i < count; i++) unrecognizedOptions[i] = reader.cstring();
  reader.end();
  return { type: 'NegotiateProtocolVersion', newestMinorVersion, unrecognizedOptions };
}

export function decodeFunctionCallResponse(frame: Frame): FunctionCallResponse {
  const reader = messageReader(frame, BackendCode.FunctionCallResponse, 'FunctionCallResponse');
  const result = reader.nullableBytes();
  reader.end();
  return { type: 'FunctionCallResponse', result };
}

/** Decodes any server → client typed message. */
export function decodeBackend(frame: Frame): BackendMessage {
  if (frame.kind !== 'message') {
    throw new ProtocolError('UNEXPECTED_MESSAGE', `${frame.kind} is not a typed server message`);
  }
  switch (frame.code) {
    case BackendCode.Authentication:
      return decodeAuthentication(frame);
    case BackendCode.ParameterStatus:
      return decodeParameterStatus(frame);
    case BackendCode.BackendKeyData:
      return decodeBackendKeyData(frame);
    case BackendCode.ReadyForQuery:
      return decodeReadyForQuery(frame);
    case BackendCode.ParseComplete:
      return decodeParseComplete(frame);
    case BackendCode.BindComplete:
      return decodeBindComplete(frame);
    case BackendCode.CloseComplete:
      return decodeCloseComplete(frame);
    case BackendCode.NoData:
      return decodeNoData(frame);
    case BackendCode.PortalSuspended:
      return decodePortalSuspended(frame);
    case BackendCode.EmptyQueryResponse:
      return decodeEmptyQueryResponse(frame);
    case BackendCode.ParameterDescription:
      return decodeParameterDescription(frame);
    case BackendCode.RowDescription:
      return decodeRowDescription(frame);
    case BackendCode.DataRow:
      return decodeDataRow(frame);
    case BackendCode.CommandComplete:
      return decodeCommandComplete(frame);
    case BackendCode.ErrorResponse:
      return decodeErrorResponse(frame);
    case BackendCode.NoticeResponse:
      return decodeNoticeResponse(frame);
    case BackendCode.NotificationResponse:
      return decodeNotificationResponse(frame);
    case BackendCode.CopyInResponse:
      return decodeCopyInResponse(frame);
    case BackendCode.CopyOutResponse:
      return decodeCopyOutResponse(frame);
    case BackendCode.CopyBothResponse:
      return decodeCopyBothResponse(frame);
    case BackendCode.CopyData:
      return decodeCopyData(frame);
    case BackendCode.CopyDone:
      return decodeCopyDone(frame);
    case BackendCode.NegotiateProtocolVersion:
      return decodeNegotiateProtocolVersion(frame);
    case BackendCode.FunctionCallResponse:
      return decodeFunctionCallResponse(frame);
  }
  throw new ProtocolError('UNKNOWN_MESSAGE_TYPE', `no backend message is ${describeFrame(frame)}`);
}

function readMechanisms(reader: BodyReader): string[] {
  const mechanisms: string[] = [];
  for (;;) {
    const mechanism = reader.cstring();
    if (mechanism === '') return mechanisms;
    mechanisms.push(mechanism);
  }
}

function readNoticeFields(reader: BodyReader): NoticeFields {
  const fields: NoticeFields = {};
  for (;;) {
    const code = reader.int8();
    if (code === 0) break;
    fields[String.fromCharCode(code)] = reader.cstring();
  }
  reader.end();
  return fields;
}

function decodeCopyResponse<T extends 'CopyInResponse' | 'CopyOutResponse' | 'CopyBothResponse'>(
  frame: Frame,
  code: number,
  type: T,
): CopyResponse<T> {
  const reader = messageReader(frame, code, type);
  const format = reader.int8();
  const columnFormats = readFormats(reader);
  reader.end();
  return { type, format, columnFormats };
}
