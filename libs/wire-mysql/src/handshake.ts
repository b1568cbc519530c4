// The connection phase: the server's greeting (HandshakeV10), the client's SSLRequest and
// HandshakeResponse41. Layouts per the MySQL source (sql/auth/sql_authentication.cc) and
// MariaDB's extension of the filler bytes (4 bytes of extended capabilities when CLIENT_MYSQL is
// cleared).
import { hasCapability } from './capabilities.js';
import { Capability, CLIENT_MYSQL } from './constants.js';
import { MySqlProtocolError, malformed } from './errors.js';
import { PayloadReader } from './reader.js';
import { PayloadWriter } from './writer.js';

export interface HandshakeV10 {
  serverVersion: string;
  connectionId: number;
  /**
   * The auth plugin data as sent: part 1 (8 bytes) then part 2 (usually 12 bytes and a NUL).
   * `scrambleOf` gives the nonce the scramble functions take.
   */
  authPluginData: Buffer;
  /** Lower 32 capability bits. MariaDB servers clear `CLIENT_MYSQL` (bit 0). */
  capabilityFlags: number;
  /** MariaDB's extended capabilities (`MariaDbCapability.*`), read only when CLIENT_MYSQL is cleared. */
  mariaDbCapabilityFlags: number;
  characterSet: number;
  statusFlags: number;
  /** The default auth plugin (with PLUGIN_AUTH), else ''. */
  authPluginName: string;
}

const PROTOCOL_VERSION = 10;
const PART1_LENGTH = 8;
const MIN_PART2_LENGTH = 13;

/** The nonce inside auth plugin data: the bytes without one trailing NUL (20 bytes from real servers). */
export function scrambleOf(authPluginData: Buffer): Buffer {
  return authPluginData.length > 0 && authPluginData[authPluginData.length - 1] === 0
    ? authPluginData.subarray(0, authPluginData.length - 1)
    : authPluginData;
}

export function decodeHandshakeV10(payload: Buffer): HandshakeV10 {
  const reader = new PayloadReader(payload, 'HandshakeV10');
  const version = reader.u8();
  if (version === 0xff) throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'expected HandshakeV10, got ERR');
  if (version !== PROTOCOL_VERSION) {
    throw new MySqlProtocolError('UNSUPPORTED', `handshake protocol version ${version} is not supported`);
  }
  const serverVersion = reader.cstring();
  const connectionId = reader.u32();
  const part1 = reader.bytes(PART1_LENGTH);
  reader.skip(1);
  let capabilityFlags = reader.u16();
  let characterSet = 0;
  let statusFlags = 0;
  let mariaDbCapabilityFlags = 0;
  let authPluginName = '';
  let authPluginData = part1;
  if (reader.remaining > 0) {
    characterSet = reader.u8();
    statusFlags = reader.u16();
    capabilityFlags = (capabilityFlags | (reader.u16() << 16)) >>> 0;
    const dataLength = reader.u8();
    reader.skip(6);
    const extended = reader.u32();
    if ((capabilityFlags & CLIENT_MYSQL) === 0) mariaDbCapabilityFlags = extended;
    if (hasCapability(capabilityFlags, Capability.SECURE_CONNECTION)) {
      const part2 = reader.bytes(Math.max(MIN_PART2_LENGTH, dataLength - PART1_LENGTH));
      authPluginData = Buffer.concat([part1, part2]);
    }
    if (hasCapability(capabilityFlags, Capability.PLUGIN_AUTH)) {
      // Some servers end the name with the payload instead of a NUL (MySQL bug #59453).
      const nul = payload.indexOf(0, reader.offset);
      authPluginName = nul < 0 ? reader.rest().toString('utf8') : reader.cstring();
    }
  }
  reader.end();
  return {
    serverVersion,
    connectionId,
    authPluginData,
    capabilityFlags,
    mariaDbCapabilityFlags,
    characterSet,
    statusFlags,
    authPluginName,
  };
}

export function encodeHandshakeV10(message: HandshakeV10): Buffer {
  const flags = message.capabilityFlags >>> 0;
  const secure = hasCapability(flags, Capability.SECURE_CONNECTION);
  let data = message.authPluginData;
  if (data.length < PART1_LENGTH) throw new RangeError('auth plugin data is at least 8 bytes');
  if (secure && data.length < PART1_LENGTH + MIN_PART2_LENGTH) {
    data = Buffer.concat([data, Buffer.alloc(PART1_LENGTH + MIN_PART2_LENGTH - data.length)]);
  }
  if (!secure && data.length !== PART1_LENGTH) throw new RangeError('without SECURE_CONNECTION the data is 8 bytes');
  if (secure && !hasCapability(flags, Capability.PLUGIN_AUTH) && data.length !== PART1_LENGTH + MIN_PART2_LENGTH) {
    throw new RangeError('without PLUGIN_AUTH the data is 21 bytes (its length is not sent)');
  }
  if (data.length > 0xff) throw new RangeError('auth plugin data is at most 255 bytes');
  const writer = new PayloadWriter(64 + data.length);
  writer
    .u8(PROTOCOL_VERSION)
    .cstring(message.serverVersion)
    .u32(message.connectionId)
    .bytes(data.subarray(0, PART1_LENGTH))
    .u8(0)
    .u16(flags & 0xffff)
    .u8(message.characterSet)
    .u16(message.statusFlags)
    .u16(flags >>> 16)
    .u8(hasCapability(flags, Capability.PLUGIN_AUTH) ? data.length : 0)
    .zeros(6)
    .u32((flags & CLIENT_MYSQL) === 0 ? message.mariaDbCapabilityFlags >>> 0 : 0);
  if (secure) writer.bytes(data.subarray(PART1_LENGTH));
  if (hasCapability(flags, Capability.PLUGIN_AUTH)) writer.cstring(message.authPluginName);
  return writer.finish();
}

/** The fixed head shared by SSLRequest and HandshakeResponse41. */
export interface ClientHandshakeHead {
  capabilityFlags: number;
  /** MariaDB's extended capabilities, read only when CLIENT_MYSQL is cleared. */
  mariaDbCapabilityFlags: number;
  maxPacketSize: number;
  characterSet: number;
}

export type SslRequest = ClientHandshakeHead;

export interface HandshakeResponse41 extends ClientHandshakeHead {
  username: string;
  /** The auth plugin's answer to the greeting's nonce (a scramble, a signature, a cleartext password). */
  authResponse: Buffer;
  /** The database to use (CONNECT_WITH_DB); undefined when absent. */
  database?: string;
  /** The plugin `authResponse` was made with (PLUGIN_AUTH); undefined when absent. */
  authPluginName?: string;
  /** Connection attributes in wire order (CONNECT_ATTRS); undefined when absent. */
  attributes?: [string, string][];
  /** MySQL 8 zstd compression level (ZSTD_COMPRESSION_ALGORITHM); undefined when absent. */
  zstdCompressionLevel?: number;
}

/** What the client's first packet is. */
export type ClientHandshake =
  { type: 'SslRequest'; message: SslRequest } | { type: 'HandshakeResponse41'; message: HandshakeResponse41 };

/** The size of an SSLRequest payload, which is also the head of every HandshakeResponse41. */
export const SSL_REQUEST_LENGTH = 32;

function readHead(reader: PayloadReader): ClientHandshakeHead {
  const capabilityFlags = reader.u32();
  if (!hasCapability(capabilityFlags, Capability.PROTOCOL_41)) {
    throw new MySqlProtocolError('UNSUPPORTED', 'pre-4.1 handshake responses (HandshakeResponse320) are not supported');
  }
  const maxPacketSize = reader.u32();
  const characterSet = reader.u8();
  reader.skip(19);
  const extended = reader.u32();
  return {
    capabilityFlags,
    mariaDbCapabilityFlags: (capabilityFlags & CLIENT_MYSQL) === 0 ? extended : 0,
    maxPacketSize,
    characterSet,
  };
}

function writeHead(writer: PayloadWriter, head: ClientHandshakeHead): void {
  const flags = head.capabilityFlags >>> 0;
  writer
    .u32(flags)
    .u32(head.maxPacketSize)
    .u8(head.characterSet)
    .zeros(19)
    .u32((flags & CLIENT_MYSQL) === 0 ? head.mariaDbCapabilityFlags >>> 0 : 0);
}

/**
 * The client's first packet: an SSLRequest (exactly 32 bytes with CLIENT_SSL; TLS follows, then a
 * HandshakeResponse41 over TLS) or a HandshakeResponse41.
 */
export function decodeClientHandshake(payload: Buffer): ClientHandshake {
  if (payload.length === SSL_REQUEST_LENGTH) return { type: 'SslRequest', message: decodeSslRequest(payload) };
  return { type: 'HandshakeResponse41', message: decodeHandshakeResponse41(payload) };
}

export function decodeSslRequest(payload: Buffer): SslRequest {
  const reader = new PayloadReader(payload, 'SSLRequest');
  const head = readHead(reader);
  reader.end();
  if (!hasCapability(head.capabilityFlags, Capability.SSL)) throw malformed('SSLRequest without CLIENT_SSL');
  return head;
}

export function encodeSslRequest(message: SslRequest): Buffer {
  const writer = new PayloadWriter(SSL_REQUEST_LENGTH);
  writeHead(writer, { ...message, capabilityFlags: (message.capabilityFlags | Capability.SSL) >>> 0 });
  return writer.finish();
}

export function decodeHandshakeResponse41(payload: Buffer): HandshakeResponse41 {
  const reader = new PayloadReader(payload, 'HandshakeResponse41');
  const head = readHead(reader);
  const flags = head.capabilityFlags;
  const username = reader.cstring();
  let authResponse: Buffer;
  if (hasCapability(flags, Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA)) authResponse = reader.lenencBytes();
  else if (hasCapability(flags, Capability.SECURE_CONNECTION)) authResponse = reader.bytes(reader.u8());
  else authResponse = reader.cstringBytes();
  const message: HandshakeResponse41 = { ...head, username, authResponse };
  // Optional tail fields: a client may end the payload early (the server then takes defaults).
  if (hasCapability(flags, Capability.CONNECT_WITH_DB) && reader.remaining > 0) message.database = reader.cstring();
  if (hasCapability(flags, Capability.PLUGIN_AUTH) && reader.remaining > 0) message.authPluginName = reader.cstring();
  if (hasCapability(flags, Capability.CONNECT_ATTRS) && reader.remaining > 0) {
    const length = reader.lenenc();
    const attrs = new PayloadReader(reader.bytes(length), 'connection attributes');
    const attributes: [string, string][] = [];
    while (attrs.remaining > 0) attributes.push([attrs.lenencString(), attrs.lenencString()]);
    message.attributes = attributes;
  }
  if (hasCapability(flags, Capability.ZSTD_COMPRESSION_ALGORITHM) && reader.remaining > 0) {
    message.zstdCompressionLevel = reader.u8();
  }
  reader.end();
  return message;
}

export function encodeHandshakeResponse41(message: HandshakeResponse41): Buffer {
  const flags = message.capabilityFlags >>> 0;
  const writer = new PayloadWriter(128 + message.authResponse.length);
  writeHead(writer, message);
  writer.cstring(message.username);
  if (hasCapability(flags, Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA)) writer.lenencBytes(message.authResponse);
  else if (hasCapability(flags, Capability.SECURE_CONNECTION)) {
    if (message.authResponse.length > 0xff)
      throw new RangeError('auth response over 255 bytes needs LENENC_CLIENT_DATA');
    writer.u8(message.authResponse.length).bytes(message.authResponse);
  } else writer.cstring(message.authResponse);
  // Optional fields are written in order. A client may end the payload before them; one left
  // undefined is written empty only when a later one is present.
  const slots: { present: boolean; write: () => void }[] = [];
  if (hasCapability(flags, Capability.CONNECT_WITH_DB)) {
    slots.push({ present: message.database !== undefined, write: () => writer.cstring(message.database ?? '') });
  }
  if (hasCapability(flags, Capability.PLUGIN_AUTH)) {
    slots.push({
      present: message.authPluginName !== undefined,
      write: () => writer.cstring(message.authPluginName ?? ''),
    });
  }
  if (hasCapability(flags, Capability.CONNECT_ATTRS)) {
    slots.push({
      present: message.attributes !== undefined,
      write: () => {
        const attrs = new PayloadWriter();
        for (const [key, value] of message.attributes ?? []) attrs.lenencBytes(key).lenencBytes(value);
        writer.lenencBytes(attrs.finish());
      },
    });
  }
  if (hasCapability(flags, Capability.ZSTD_COMPRESSION_ALGORITHM)) {
    slots.push({
      present: message.zstdCompressionLevel !== undefined,
      write: () => writer.u8(message.zstdCompressionLevel ?? 0),
    });
  }
  let last = -1;
  slots.forEach((slot, index) => {
    if (slot.present) last = index;
  });
  for (let i = 0; i <= last; i++) slots[i]!.write();
  return writer.finish();
}
