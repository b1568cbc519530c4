import { FrontendCode } from './codes.js';
import { malformed, ProtocolError } from './errors.js';
import type { Frame } from './frame.js';
import {
  decodeEmpty,
  describeFrame,
  messageReader,
  readFormats,
  readNullableValues,
  startupReader,
} from './decode-util.js';
import type {
  Bind,
  CancelRequest,
  Close,
  CopyData,
  CopyDone,
  CopyFail,
  Describe,
  Execute,
  Flush,
  FrontendMessage,
  FunctionCall,
  GSSENCRequest,
  Parse,
  PasswordContext,
  PasswordMessage,
  Query,
  SASLInitialResponse,
  SASLResponse,
  SSLRequest,
  StartupMessage,
  Sync,
  Terminate,
} from './frontend-messages.js';
import type { BodyReader } from './reader.js';

// Lazy decoders for client → server frames. Each checks the frame's kind and type byte, reads
// with bounds checks and rejects trailing bytes (like PostgreSQL's pq_getmsgend), so a
// malformed body throws ProtocolError('MALFORMED') and nothing else.

const MAX_CANCEL_KEY_LENGTH = 256;

export function decodeStartupMessage(frame: Frame): StartupMessage {
  const reader = startupReader(frame, 'startup', 'StartupMessage');
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    parameters.set(name, reader.cstring());
  }
  reader.end();
  return {
    type: 'StartupMessage',
    majorVersion: frame.code >>> 16,
    minorVersion: frame.code & 0xffff,
    parameters,
  };
}

export function decodeSSLRequest(frame: Frame): SSLRequest {
  startupReader(frame, 'ssl-request', 'SSLRequest').end();
  return { type: 'SSLRequest' };
}

export function decodeGSSENCRequest(frame: Frame): GSSENCRequest {
  startupReader(frame, 'gssenc-request', 'GSSENCRequest').end();
  return { type: 'GSSENCRequest' };
}

export function decodeCancelRequest(frame: Frame): CancelRequest {
  const reader = startupReader(frame, 'cancel-request', 'CancelRequest');
  const processId = reader.int32();
  const secretKey = reader.rest();
  if (secretKey.length < 4 || secretKey.length > MAX_CANCEL_KEY_LENGTH) {
    throw malformed(`CancelRequest: secret key of ${secretKey.length} bytes`);
  }
  return { type: 'CancelRequest', processId, secretKey };
}

export function decodePasswordMessage(frame: Frame): PasswordMessage {
  const reader = messageReader(frame, FrontendCode.Password, 'PasswordMessage');
  const password = reader.cstring();
  reader.end();
  return { type: 'PasswordMessage', password };
}

export function decodeSASLInitialResponse(frame: Frame): SASLInitialResponse {
  const reader = messageReader(frame, FrontendCode.Password, 'SASLInitialResponse');
  const mechanism = reader.cstring();
  const data = reader.nullableBytes();
  reader.end();
  return { type: 'SASLInitialResponse', mechanism, data };
}

export function decodeSASLResponse(frame: Frame): SASLResponse {
  const reader = messageReader(frame, FrontendCode.Password, 'SASLResponse');
  return { type: 'SASLResponse', data: reader.rest() };
}

export function decodeQuery(frame: Frame): Query {
  const reader = messageReader(frame, FrontendCode.Query, 'Query');
  const sql = reader.cstring();
  reader.end();
  return { type: 'Query', sql };
}

export function decodeParse(frame: Frame): Parse {
  const reader = messageReader(frame, FrontendCode.Parse, 'Parse');
  const name = reader.cstring();
  const sql = reader.cstring();
  const count = reader.count16(4);
  const paramTypes = new Array<number>(count);
  for (let i = 0; i < count; i++) paramTypes[i] = reader.uint32();
  reader.end();
  return { type: 'Parse', name, sql, paramTypes };
}

export function decodeBind(frame: Frame): Bind {
  const reader = messageReader(frame, FrontendCode.Bind, 'Bind');
  const portal = reader.cstring();
  const statement = reader.cstring();
  const paramFormats = readFormats(reader);
  const params = readNullableValues(reader);
  checkFormatCount('Bind', paramFormats.length, params.length);
  const resultFormats = readFormats(reader);
  reader.end();
  return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
}

export function decodeDescribe(frame: Frame): Describe {
  const reader = messageReader(frame, FrontendCode.Describe, 'Describe');
  const target = readTarget(reader, 'Describe');
  const name = reader.cstring();
  reader.end();
  return { type: 'Describe', target, name };
}

export function decodeExecute(frame: Frame): Execute {
  const reader = messageReader(frame, FrontendCode.Execute, 'Execute');
  const portal = reader.cstring();
  // PostgreSQL reads the row limit as unsigned; 0 means all rows.
  const maxRows = reader.uint32();
  reader.end();
  return { type: 'Execute', portal, maxRows };
}

export function decodeClose(frame: Frame): Close {
  const reader = messageReader(frame, FrontendCode.Close, 'Close');
  const target = readTarget(reader, 'Close');
  const name = reader.cstring();
  reader.end();
  return { type: 'Close', target, name };
}

export function decodeSync(frame: Frame): Sync {
  return decodeEmpty(frame, FrontendCode.Sync, 'Sync');
}

export function decodeFlush(frame: Frame): Flush {
  return decodeEmpty(frame, FrontendCode.Flush, 'Flush');
}

export function decodeTerminate(frame: Frame): Terminate {
  return decodeEmpty(frame, FrontendCode.Terminate, 'Terminate');
}

/** CopyData has the same layout in both directions. */
export function decodeCopyData(frame: Frame): CopyData {
  return { type: 'CopyData', data: messageReader(frame, FrontendCode.CopyData, 'CopyData').rest() };
}

/** CopyDone has the same layout in both directions. */
export function decodeCopyDone(frame: Frame): CopyDone {
  return decodeEmpty(frame, FrontendCode.CopyDone, 'CopyDone');
}

export function decodeCopyFail(frame: Frame): CopyFail {
  const reader = messageReader(frame, FrontendCode.CopyFail, 'CopyFail');
  const message = reader.cstring();
  reader.end();
  return { type: 'CopyFail', message };
}

export function decodeFunctionCall(frame: Frame): FunctionCall {
  const reader = messageReader(frame, FrontendCode.FunctionCall, 'FunctionCall');
  const functionOid = reader.uint32();
  const argFormats = readFormats(reader);
  const args = readNullableValues(reader);
  checkFormatCount('FunctionCall', argFormats.length, args.length);
  const resultFormat = reader.int16();
  reader.end();
  return { type: 'FunctionCall', functionOid, argFormats, args, resultFormat };
}

/**
 * Decodes any client → server frame. A 'p' frame needs `passwordContext`, the meaning the
 * preceding Authentication request gave it (see `passwordContextFor`).
 */
export function decodeFrontend(frame: Frame, passwordContext?: PasswordContext): FrontendMessage {
  switch (frame.kind) {
    case 'startup':
      return decodeStartupMessage(frame);
    case 'ssl-request':
      return decodeSSLRequest(frame);
    case 'gssenc-request':
      return decodeGSSENCRequest(frame);
    case 'cancel-request':
      return decodeCancelRequest(frame);
    case 'encryption-response':
      throw new ProtocolError('UNEXPECTED_MESSAGE', 'an encryption response is a server → client packet');
    case 'message':
      break;
  }
  switch (frame.code) {
    case FrontendCode.Password:
      switch (passwordContext) {
        case 'password':
          return decodePasswordMessage(frame);
        case 'sasl-initial':
          return decodeSASLInitialResponse(frame);
        case 'sasl':
          return decodeSASLResponse(frame);
        case undefined:
          throw new ProtocolError('UNEXPECTED_MESSAGE', "a 'p' message cannot be decoded without its password context");
      }
      break;
    case FrontendCode.Query:
      return decodeQuery(frame);
    case FrontendCode.Parse:
      return decodeParse(frame);
    case FrontendCode.Bind:
      return decodeBind(frame);
    case FrontendCode.Describe:
      return decodeDescribe(frame);
    case FrontendCode.Execute:
      return decodeExecute(frame);
    case FrontendCode.Close:
      return decodeClose(frame);
    case FrontendCode.Sync:
      return decodeSync(frame);
    case FrontendCode.Flush:
      return decodeFlush(frame);
    case FrontendCode.Terminate:
      return decodeTerminate(frame);
    case FrontendCode.CopyData:
      return decodeCopyData(frame);
    case FrontendCode.CopyDone:
      return decodeCopyDone(frame);
    case FrontendCode.CopyFail:
      return decodeCopyFail(frame);
    case FrontendCode.FunctionCall:
      return decodeFunctionCall(frame);
  }
  throw new ProtocolError('UNKNOWN_MESSAGE_TYPE', `no frontend message is ${describeFrame(frame)}`);
}

function readTarget(reader: BodyReader, what: string): 'S' | 'P' {
  const target = reader.int8();
  if (target === 0x53) return 'S';
  if (target === 0x50) return 'P';
  throw malformed(`${what}: invalid target 0x${target.toString(16)}`);
}

/** PostgreSQL's rule: no format codes, one for all, or exactly one per value. */
function checkFormatCount(what: string, formats: number, values: number): void {
  if (formats > 1 && formats !== values) {
    throw malformed(`${what}: ${formats} format codes for ${values} values`);
  }
}
