import { serialize } from 'pg-protocol';
import { FrontendCode, StartupRequestCode } from './codes.js';
import type { FrontendMessage } from './frontend-messages.js';
import { assertNoNul, MessageWriter } from './writer.js';

// Client → server serializers. pg-protocol's `serialize` (node-postgres' own, well exercised)
// writes the messages whose layout it reproduces exactly; we write the others because its
// version changes or cannot express what a proxy must forward:
//  - startup: always appends client_encoding=UTF8 and knows only protocol 3.0;
//  - parse: logs to the console for statement names over 63 bytes (not pure);
//  - bind: infers each parameter's format from its JS type (Buffer = binary) and sends one
//    result format for all, so explicit per-parameter formats cannot be kept;
//  - SASL messages: take strings (UTF-8 encoded), cannot send bytes or "no initial response";
//  - cancel: a 4-byte numeric secret key only (protocol 3.2 keys are up to 256 bytes);
//  - GSSENCRequest and FunctionCall: not provided.
// Strings are checked for NUL first, since pg-protocol would silently cut them short.

export interface ParseOptions {
  name?: string;
  sql: string;
  paramTypes?: readonly number[];
}

export interface BindOptions {
  portal?: string;
  statement?: string;
  paramFormats?: readonly number[];
  params?: readonly (Uint8Array | null)[];
  resultFormats?: readonly number[];
}

export interface FunctionCallOptions {
  functionOid: number;
  argFormats?: readonly number[];
  args?: readonly (Uint8Array | null)[];
  resultFormat?: number;
}

/** Parameters in send order; a Map keeps names such as `__proto__` intact. */
export type StartupParameters = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function startupMessage(parameters: StartupParameters, minorVersion = 0): Buffer {
  const writer = new MessageWriter().int32(StartupRequestCode.Protocol3 | minorVersion);
  const entries = parameters instanceof Map ? parameters.entries() : Object.entries(parameters);
  for (const [name, value] of entries) {
    if (name === '') throw new RangeError('a startup parameter name cannot be empty');
    writer.cstring(name).cstring(value);
  }
  return writer.int8(0).finish();
}

function requestPacket(code: number): Buffer {
  const packet = Buffer.allocUnsafe(8);
  packet.writeInt32BE(8, 0);
  packet.writeInt32BE(code, 4);
  return packet;
}

function cancelRequest(processId: number, secretKey: Uint8Array | number): Buffer {
  const writer = new MessageWriter().int32(StartupRequestCode.CancelRequest).int32(processId);
  return (typeof secretKey === 'number' ? writer.int32(secretKey) : writer.bytes(secretKey)).finish();
}

function saslInitialResponse(mechanism: string, data: Uint8Array | string | null): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return new MessageWriter(FrontendCode.Password).cstring(mechanism).nullableBytes(bytes).finish();
}

function saslResponse(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return new MessageWriter(FrontendCode.Password, bytes.length).bytes(bytes).finish();
}

function parse(options: ParseOptions): Buffer {
  const types = options.paramTypes ?? [];
  const writer = new MessageWriter(FrontendCode.Parse)
    .cstring(options.name ?? '')
    .cstring(options.sql)
    .count16(types.length);
  for (const oid of types) writer.uint32(oid);
  return writer.finish();
}

function bind(options: BindOptions = {}): Buffer {
  const params = options.params ?? [];
  const writer = new MessageWriter(FrontendCode.Bind, valuesSize(params) + 64)
    .cstring(options.portal ?? '')
    .cstring(options.statement ?? '');
  writeFormats(writer, options.paramFormats ?? []);
  writeValues(writer, params);
  writeFormats(writer, options.resultFormats ?? []);
  return writer.finish();
}

function functionCall(options: FunctionCallOptions): Buffer {
  const args = options.args ?? [];
  const writer = new MessageWriter(FrontendCode.FunctionCall, valuesSize(args) + 16).uint32(options.functionOid);
  writeFormats(writer, options.argFormats ?? []);
  writeValues(writer, args);
  return writer.int16(options.resultFormat ?? 0).finish();
}

/** Wraps a pg-protocol serializer taking one string, which it would cut short at a NUL. */
function checked(fn: (text: string) => Buffer): (text: string) => Buffer {
  return (text) => {
    assertNoNul(text);
    return fn(text);
  };
}

function portalOrStatement(fn: typeof serialize.describe): (target: 'S' | 'P', name?: string) => Buffer {
  return (target, name = '') => {
    assertNoNul(name);
    return fn({ type: target, name });
  };
}

/** Serializers for every client → server message. */
export const frontend = {
  startupMessage,
  sslRequest: (): Buffer => serialize.requestSsl(),
  gssencRequest: (): Buffer => requestPacket(StartupRequestCode.GSSENCRequest),
  cancelRequest,
  passwordMessage: checked((password: string) => serialize.password(password)),
  saslInitialResponse,
  saslResponse,
  query: checked((sql: string) => serialize.query(sql)),
  parse,
  bind,
  describe: portalOrStatement(serialize.describe),
  execute: (portal = '', maxRows = 0): Buffer => {
    assertNoNul(portal);
    if (!Number.isInteger(maxRows) || maxRows < 0 || maxRows > 0xffff_ffff) {
      throw new RangeError(`maxRows must be a uint32, got ${maxRows}`);
    }
    return serialize.execute({ portal, rows: maxRows });
  },
  close: portalOrStatement(serialize.close),
  sync: (): Buffer => serialize.sync(),
  flush: (): Buffer => serialize.flush(),
  terminate: (): Buffer => serialize.end(),
  copyData: (data: Uint8Array): Buffer =>
    serialize.copyData(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length)),
  copyDone: (): Buffer => serialize.copyDone(),
  copyFail: checked((message: string) => serialize.copyFail(message)),
  functionCall,
} as const;

/** Serializes a decoded client → server message back to its bytes. */
export function encodeFrontend(message: FrontendMessage): Buffer {
  switch (message.type) {
    case 'StartupMessage':
      if (message.majorVersion !== 3) throw new RangeError('only protocol 3.x startup messages exist');
      return startupMessage(message.parameters, message.minorVersion);
    case 'SSLRequest':
      return frontend.sslRequest();
    case 'GSSENCRequest':
      return frontend.gssencRequest();
    case 'CancelRequest':
      return cancelRequest(message.processId, message.secretKey);
    case 'PasswordMessage':
      return frontend.passwordMessage(message.password);
    case 'SASLInitialResponse':
      return saslInitialResponse(message.mechanism, message.data);
    case 'SASLResponse':
      return saslResponse(message.data);
    case 'Query':
      return frontend.query(message.sql);
    case 'Parse':
      return parse(message);
    case 'Bind':
      return bind(message);
    case 'Describe':
      return frontend.describe(message.target, message.name);
    case 'Execute':
      return frontend.execute(message.portal, message.maxRows);
    case 'Close':
      return frontend.close(message.target, message.name);
    case 'Sync':
      return frontend.sync();
    case 'Flush':
      return frontend.flush();
    case 'Terminate':
      return frontend.terminate();
    case 'CopyData':
      return frontend.copyData(message.data);
    case 'CopyDone':
      return frontend.copyDone();
    case 'CopyFail':
      return frontend.copyFail(message.message);
    case 'FunctionCall':
      return functionCall(message);
  }
}

export function writeFormats(writer: MessageWriter, formats: readonly number[]): void {
  writer.count16(formats.length);
  for (const format of formats) writer.int16(format);
}

export function writeValues(writer: MessageWriter, values: readonly (Uint8Array | null)[]): void {
  writer.count16(values.length);
  for (const value of values) writer.nullableBytes(value);
}

export function valuesSize(values: readonly (Uint8Array | null)[]): number {
  let size = 2;
  for (const value of values) size += 4 + (value === null ? 0 : value.length);
  return size;
}
