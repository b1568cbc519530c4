// Generic responses: OK, ERR, EOF, and the auth-phase packets (AuthSwitchRequest, AuthMoreData).
import { hasCapability, type SessionCapabilities } from './capabilities.js';
import { CachingSha2, Capability, ResponseHeader, ServerStatus, SessionTrack } from './constants.js';
import { MySqlProtocolError, malformed, unexpected } from './errors.js';
import { PayloadReader } from './reader.js';
import { PayloadWriter } from './writer.js';

/** The limit below which a 0xFE payload is an EOF packet (above, it can be a row). */
const EOF_MAX_LENGTH = 9;

export interface OkPacket {
  /** 0x00, or 0xFE for the OK that ends a result set under CLIENT_DEPRECATE_EOF. */
  header: 0x00 | 0xfe;
  affectedRows: bigint;
  lastInsertId: bigint;
  statusFlags: number;
  warnings: number;
  info: string;
  /** Raw session-state information (CLIENT_SESSION_TRACK + SESSION_STATE_CHANGED); see `decodeSessionState`. */
  sessionState?: Buffer;
}

export interface ErrPacket {
  code: number;
  /** Five characters; absent when the server sent none (errors before the handshake completes). */
  sqlState?: string;
  message: string;
}

export interface EofPacket {
  warnings: number;
  statusFlags: number;
}

export function isOkPacket(payload: Buffer): boolean {
  return payload[0] === ResponseHeader.OK && payload.length >= 7;
}

export function isErrPacket(payload: Buffer): boolean {
  return payload[0] === ResponseHeader.ERR;
}

/**
 * A classic EOF packet (0xFE, under 9 bytes). Under CLIENT_DEPRECATE_EOF a short OK with the 0xFE
 * header looks the same: use `isResultSetEnd` / `decodeResultSetEnd` where the session decides.
 */
export function isEofPacket(payload: Buffer): boolean {
  return payload[0] === ResponseHeader.EOF && payload.length < EOF_MAX_LENGTH;
}

/**
 * Whether a packet read where a row may come ends the rows: an EOF, or with CLIENT_DEPRECATE_EOF
 * an OK with the 0xFE header (told from a row whose first cell is ≥ 16 MiB by its length).
 */
export function isResultSetEnd(payload: Buffer, capabilities: SessionCapabilities): boolean {
  if (payload[0] !== ResponseHeader.EOF) return false;
  return hasCapability(capabilities.flags, Capability.DEPRECATE_EOF)
    ? payload.length < 0xff_ffff
    : payload.length < EOF_MAX_LENGTH;
}

export function decodeOk(payload: Buffer, capabilities: SessionCapabilities): OkPacket {
  const reader = new PayloadReader(payload, 'OK');
  const header = reader.u8();
  if (header !== 0x00 && header !== 0xfe) throw unexpected(`expected OK, got header 0x${header.toString(16)}`);
  const affectedRows = reader.lenencBig();
  const lastInsertId = reader.lenencBig();
  const flags = capabilities.flags;
  let statusFlags = 0;
  let warnings = 0;
  if (hasCapability(flags, Capability.PROTOCOL_41)) {
    statusFlags = reader.u16();
    warnings = reader.u16();
  } else if (hasCapability(flags, Capability.TRANSACTIONS)) {
    statusFlags = reader.u16();
  }
  const ok: OkPacket = { header, affectedRows, lastInsertId, statusFlags, warnings, info: '' };
  if (hasCapability(flags, Capability.SESSION_TRACK)) {
    // MariaDB leaves the info out when it is empty and no state changed.
    if (reader.remaining > 0) ok.info = reader.lenencString();
    if ((statusFlags & ServerStatus.SESSION_STATE_CHANGED) !== 0) ok.sessionState = reader.lenencBytes();
  } else {
    ok.info = reader.rest().toString('utf8');
  }
  reader.end();
  return ok;
}

export interface OkOptions {
  header?: 0x00 | 0xfe;
  affectedRows?: bigint | number;
  lastInsertId?: bigint | number;
  statusFlags?: number;
  warnings?: number;
  info?: string;
  sessionState?: Buffer;
}

export function encodeOk(ok: OkOptions, capabilities: SessionCapabilities): Buffer {
  const flags = capabilities.flags;
  const info = ok.info ?? '';
  let statusFlags = ok.statusFlags ?? 0;
  const tracking = hasCapability(flags, Capability.SESSION_TRACK);
  if (tracking && ok.sessionState !== undefined) statusFlags |= ServerStatus.SESSION_STATE_CHANGED;
  const writer = new PayloadWriter(32 + info.length);
  writer
    .u8(ok.header ?? 0)
    .lenenc(BigInt(ok.affectedRows ?? 0))
    .lenenc(BigInt(ok.lastInsertId ?? 0));
  if (hasCapability(flags, Capability.PROTOCOL_41)) writer.u16(statusFlags).u16(ok.warnings ?? 0);
  else if (hasCapability(flags, Capability.TRANSACTIONS)) writer.u16(statusFlags);
  if (tracking) {
    writer.lenencBytes(info);
    if ((statusFlags & ServerStatus.SESSION_STATE_CHANGED) !== 0)
      writer.lenencBytes(ok.sessionState ?? Buffer.alloc(0));
  } else {
    writer.bytes(info);
  }
  return writer.finish();
}

export function decodeErr(payload: Buffer): ErrPacket {
  const reader = new PayloadReader(payload, 'ERR');
  const header = reader.u8();
  if (header !== ResponseHeader.ERR) throw unexpected(`expected ERR, got header 0x${header.toString(16)}`);
  const code = reader.u16();
  const err: ErrPacket = { code, message: '' };
  if (payload[reader.offset] === 0x23 /* '#' */) {
    reader.skip(1);
    err.sqlState = reader.bytes(5).toString('latin1');
  }
  err.message = reader.rest().toString('utf8');
  return err;
}

export interface ErrOptions {
  code: number;
  /** Five ASCII letters or digits; default 'HY000' (general error). Pass null to leave the marker out. */
  sqlState?: string | null;
  message: string;
}

/** An ERR packet payload for the gateway to send. */
export function encodeErr(err: ErrOptions): Buffer {
  const sqlState = err.sqlState === undefined ? 'HY000' : err.sqlState;
  if (sqlState !== null && !/^[0-9A-Z]{5}$/.test(sqlState)) {
    throw new RangeError(`SQLSTATE must be five characters [0-9A-Z], got '${sqlState}'`);
  }
  if (!Number.isInteger(err.code) || err.code < 0 || err.code > 0xffff) throw new RangeError('error code is a uint16');
  const writer = new PayloadWriter(16 + err.message.length).u8(ResponseHeader.ERR).u16(err.code);
  if (sqlState !== null) writer.u8(0x23).bytes(Buffer.from(sqlState, 'latin1'));
  return writer.bytes(err.message).finish();
}

export function decodeEof(payload: Buffer, capabilities: SessionCapabilities): EofPacket {
  if (!isEofPacket(payload)) throw unexpected('expected EOF');
  const reader = new PayloadReader(payload, 'EOF', 1);
  const eof: EofPacket = { warnings: 0, statusFlags: 0 };
  if (hasCapability(capabilities.flags, Capability.PROTOCOL_41)) {
    eof.warnings = reader.u16();
    eof.statusFlags = reader.u16();
  }
  reader.end();
  return eof;
}

export function encodeEof(eof: EofPacket, capabilities: SessionCapabilities): Buffer {
  const writer = new PayloadWriter(5).u8(ResponseHeader.EOF);
  if (hasCapability(capabilities.flags, Capability.PROTOCOL_41)) writer.u16(eof.warnings).u16(eof.statusFlags);
  return writer.finish();
}

/**
 * The end of a row list in the form the session uses: an EOF, or an OK with the 0xFE header
 * under CLIENT_DEPRECATE_EOF.
 */
export function encodeResultSetEnd(eof: EofPacket, capabilities: SessionCapabilities): Buffer {
  return hasCapability(capabilities.flags, Capability.DEPRECATE_EOF)
    ? encodeOk({ header: 0xfe, statusFlags: eof.statusFlags, warnings: eof.warnings }, capabilities)
    : encodeEof(eof, capabilities);
}

/** Status flags and warnings of a result-set end, whichever form it has. */
export function decodeResultSetEnd(payload: Buffer, capabilities: SessionCapabilities): EofPacket {
  if (!hasCapability(capabilities.flags, Capability.DEPRECATE_EOF)) return decodeEof(payload, capabilities);
  const ok = decodeOk(payload, capabilities);
  return { warnings: ok.warnings, statusFlags: ok.statusFlags };
}

// ------------------------------------------------------------------ session state (OK packets)

export type SessionStateChange =
  | { type: typeof SessionTrack.SYSTEM_VARIABLES; name: string; value: string }
  | { type: typeof SessionTrack.SCHEMA; schema: string }
  | { type: number; data: Buffer };

/** The entries of an OK packet's `sessionState`. Entries of unknown types keep their raw data. */
export function decodeSessionState(state: Buffer): SessionStateChange[] {
  const reader = new PayloadReader(state, 'session state');
  const changes: SessionStateChange[] = [];
  while (reader.remaining > 0) {
    const type = reader.u8();
    const data = reader.lenencBytes();
    const inner = new PayloadReader(data, 'session state entry');
    if (type === SessionTrack.SYSTEM_VARIABLES) {
      changes.push({ type, name: inner.lenencString(), value: inner.lenencString() });
      inner.end();
    } else if (type === SessionTrack.SCHEMA) {
      changes.push({ type, schema: inner.lenencString() });
      inner.end();
    } else {
      changes.push({ type, data });
    }
  }
  return changes;
}

export function encodeSessionState(changes: readonly SessionStateChange[]): Buffer {
  const writer = new PayloadWriter();
  for (const change of changes) {
    const inner = new PayloadWriter();
    if ('name' in change) inner.lenencBytes(change.name).lenencBytes(change.value);
    else if ('schema' in change) inner.lenencBytes(change.schema);
    else inner.bytes(change.data);
    writer.u8(change.type).lenencBytes(inner.finish());
  }
  return writer.finish();
}

// ------------------------------------------------------------------ authentication phase

export interface AuthSwitchRequest {
  pluginName: string;
  /** Plugin data (for the password plugins: the 20-byte nonce and a NUL; see `scrambleOf`). */
  pluginData: Buffer;
}

export function decodeAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const reader = new PayloadReader(payload, 'AuthSwitchRequest');
  if (reader.u8() !== ResponseHeader.EOF) throw unexpected('expected AuthSwitchRequest');
  if (reader.remaining === 0) {
    throw new MySqlProtocolError('UNSUPPORTED', 'the pre-4.1 auth switch (mysql_old_password) is not supported');
  }
  return { pluginName: reader.cstring(), pluginData: reader.rest() };
}

export function encodeAuthSwitchRequest(message: AuthSwitchRequest): Buffer {
  return new PayloadWriter(32 + message.pluginData.length)
    .u8(ResponseHeader.EOF)
    .cstring(message.pluginName)
    .bytes(message.pluginData)
    .finish();
}

/** AuthMoreData: extra plugin data from the server (caching_sha2 markers, an RSA public key). */
export function decodeAuthMoreData(payload: Buffer): Buffer {
  if (payload[0] !== ResponseHeader.AUTH_MORE_DATA) throw unexpected('expected AuthMoreData');
  return payload.subarray(1);
}

export function encodeAuthMoreData(data: Uint8Array): Buffer {
  return new PayloadWriter(1 + data.length).u8(ResponseHeader.AUTH_MORE_DATA).bytes(data).finish();
}

/** caching_sha2_password's AuthMoreData markers: fast auth succeeded (OK follows) or full auth needed. */
export function cachingSha2Marker(data: Buffer): 'fast-auth-success' | 'perform-full-authentication' | undefined {
  if (data.length !== 1) return undefined;
  if (data[0] === CachingSha2.FAST_AUTH_SUCCESS) return 'fast-auth-success';
  if (data[0] === CachingSha2.PERFORM_FULL_AUTHENTICATION) return 'perform-full-authentication';
  return undefined;
}

/** The header of MySQL's AuthNextFactor packet (multi-factor authentication). */
const AUTH_NEXT_FACTOR = 0x02;

/** A server packet of the authentication phase, told apart by its header. */
export type AuthReply =
  | { type: 'Ok'; ok: OkPacket }
  | { type: 'Err'; err: ErrPacket }
  | { type: 'AuthSwitchRequest'; request: AuthSwitchRequest }
  | { type: 'AuthMoreData'; data: Buffer }
  /** MySQL 8.0.27+ multi-factor authentication: the next factor's plugin and its data. */
  | { type: 'AuthNextFactor'; request: AuthSwitchRequest };

export function decodeAuthReply(payload: Buffer, capabilities: SessionCapabilities): AuthReply {
  switch (payload[0]) {
    case ResponseHeader.OK:
      return { type: 'Ok', ok: decodeOk(payload, capabilities) };
    case ResponseHeader.ERR:
      return { type: 'Err', err: decodeErr(payload) };
    case ResponseHeader.EOF:
      return { type: 'AuthSwitchRequest', request: decodeAuthSwitchRequest(payload) };
    case ResponseHeader.AUTH_MORE_DATA:
      return { type: 'AuthMoreData', data: decodeAuthMoreData(payload) };
    case AUTH_NEXT_FACTOR: {
      const reader = new PayloadReader(payload, 'AuthNextFactor', 1);
      return { type: 'AuthNextFactor', request: { pluginName: reader.cstring(), pluginData: reader.rest() } };
    }
    default:
      throw malformed(`unexpected authentication reply header ${payload[0] ?? 'none'}`);
  }
}
