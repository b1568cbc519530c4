import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import {
  AuthPlugin,
  Capability,
  decodeClientHandshake,
  encodeAuthSwitchRequest,
  encodeHandshakeV10,
  GATEWAY_CAPABILITIES,
  GATEWAY_REQUIRED_CAPABILITIES,
  gatewayGreeting,
  hasCapability,
  MySqlProtocolError,
  packet,
  PACKET_HEADER_SIZE,
  PacketReader,
  type HandshakeResponse41,
  type Message,
  type SessionCapabilities,
  nameConnection,
} from '@postern/wire-mysql';
import { FrameReader, PeerClosedError } from '../common/frame-reader.js';
import { tlsHandshake } from '../common/tls.js';
import { errorCode, Errors, SessionEnd } from './errors.js';

/** What the agent offers a client (shared with the relay's front door, which greets alike). */
export const ADVERTISED_CAPABILITIES = GATEWAY_CAPABILITIES;

/** Capabilities a client must have: the engine reads only the 4.1 protocol with plugin auth. */
const REQUIRED_CAPABILITIES = GATEWAY_REQUIRED_CAPABILITIES;

/** The client side of a session: its stream (TLS once upgraded) and the next sequence id it expects. */
export interface ClientLink {
  stream: Duplex;
  encrypted: boolean;
  /** Sequence id of our next packet in the exchange under way (the handshake, then each command). */
  sequenceId: number;
}

export interface ClientLogin {
  reader: FrameReader<Message>;
  packets: PacketReader;
  response: HandshakeResponse41;
  /** The session's capabilities: the client's, within what the agent advertised. */
  capabilities: SessionCapabilities;
  /** The Postern connection the client named as its database. */
  connectionName: string;
  user: string;
  /** The client's Postern credential (connection credential or OIDC token). */
  password: string;
}

export interface ClientHandshakeOptions {
  clientTls: SecureContext | null;
  connectionId: number;
  maxPasswordLength: number;
  countBytes: (bytes: number) => void;
  onTlsSocket: (socket: TLSSocket) => void;
}

/**
 * The connection phase towards the client: our HandshakeV10, an optional SSLRequest and TLS, the
 * HandshakeResponse41, then the client's Postern credential asked for in clear with an
 * AuthSwitchRequest to mysql_clear_password (the ingress's TLS protects it; with no certificate
 * configured the agent accepts it in plain text, as the PostgreSQL engine does). Nothing touches
 * the target here.
 */
export async function readClientLogin(
  link: ClientLink,
  options: ClientHandshakeOptions,
  signal: AbortSignal,
): Promise<ClientLogin> {
  const advertised = (ADVERTISED_CAPABILITIES | (options.clientTls === null ? 0 : Capability.SSL)) >>> 0;
  link.stream.write(packet(encodeHandshakeV10(gatewayGreeting(advertised, options.connectionId)), 0));
  link.sequenceId = 1;
  let first = await readFirstPacket(link.stream, options.countBytes, signal);
  let opening = decodeClientHandshake(first.payload);
  if (opening.type === 'SslRequest') {
    if (options.clientTls === null) throw violation('SSL requested but the agent has no certificate for this ingress');
    const tls = new TLSSocket(link.stream, { isServer: true, secureContext: options.clientTls });
    options.onTlsSocket(tls);
    link.stream = await tlsHandshake(tls, {
      side: 'server',
      signal,
      failure: (error) => new SessionEnd('protocol_error', `client TLS handshake failed: ${error.message}`),
      onAbort: 'reason',
    });
    link.encrypted = true;
    first = await readFirstPacket(link.stream, options.countBytes, signal);
    opening = decodeClientHandshake(first.payload);
    if (opening.type === 'SslRequest') throw violation('a second SSLRequest inside TLS');
  }
  const packets = new PacketReader({ maxMessageLength: PRE_LOGIN_MESSAGE_LENGTH });
  const reader = new FrameReader<Message>(link.stream, packets, options.countBytes);
  link.sequenceId = (first.lastSequenceId + 1) & 0xff;
  const response = opening.message;
  if (options.clientTls !== null && !link.encrypted) {
    throw new SessionEnd('auth_failed', 'client did not use TLS', {
      code: errorCode(Errors.SecureTransportRequired),
      message: 'Connections using insecure transport are prohibited by the Postern agent: connect with TLS',
      hint: 'mariadb --ssl, or ssl-mode=REQUIRED',
    });
  }
  if ((response.capabilityFlags & REQUIRED_CAPABILITIES) !== REQUIRED_CAPABILITIES) {
    throw new SessionEnd('protocol_error', 'client without 4.1 protocol and plugin authentication', {
      code: errorCode(Errors.AuthModeNotSupported),
      message:
        'Client does not support the authentication protocol of the Postern agent (4.1 protocol with plugin auth)',
    });
  }
  const named = nameConnection(response.username, response.database);
  if (named === null) {
    throw new SessionEnd('unknown_connection', 'no connection named', {
      code: errorCode(Errors.NoDatabaseSelected),
      message:
        'No database selected: name the Postern connection as the database, or in the user name as <user>+<connection>',
    });
  }
  const password = await askClearPassword(link, reader, response, options.maxPasswordLength, signal);
  return {
    reader,
    packets,
    response,
    capabilities: { flags: (response.capabilityFlags & advertised & ~Capability.SSL) >>> 0, mariaDbFlags: 0 },
    connectionName: named.connection,
    user: named.user,
    password,
  };
}

/** Largest packet accepted before login (a handshake response with an OIDC token in it). */
const PRE_LOGIN_MESSAGE_LENGTH = 64 * 1024;

/**
 * Reads exactly one packet and puts back whatever followed it: a client does not wait for an
 * answer to its SSLRequest (there is none) and its TLS ClientHello often shares the chunk
 * (mysql2 does that); the TLS socket must find those bytes in the stream.
 */
function readFirstPacket(
  stream: Duplex,
  countBytes: (bytes: number) => void,
  signal: AbortSignal,
): Promise<{ payload: Buffer; lastSequenceId: number }> {
  return new Promise((resolve, reject) => {
    let held: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      stream.pause();
    };
    const onData = (chunk: Buffer): void => {
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      if (held.length < PACKET_HEADER_SIZE) return;
      const length = held.readUIntLE(0, 3);
      if (length >= PRE_LOGIN_MESSAGE_LENGTH) {
        cleanup();
        reject(new MySqlProtocolError('MESSAGE_TOO_LARGE', `a ${length}-byte packet before login`));
        return;
      }
      const total = PACKET_HEADER_SIZE + length;
      if (held.length < total) return;
      cleanup();
      countBytes(total);
      if (held.length > total) stream.unshift(held.subarray(total));
      resolve({ payload: held.subarray(PACKET_HEADER_SIZE, total), lastSequenceId: held[3]! });
    };
    const onEnd = (): void => {
      cleanup();
      reject(new PeerClosedError('the peer closed the connection'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}

/**
 * The credential in clear: from the handshake response when the client already used
 * mysql_clear_password, otherwise after an AuthSwitchRequest (mysql2 needs
 * `enableCleartextPlugin`; MariaDB's clients answer it by default).
 */
async function askClearPassword(
  link: ClientLink,
  reader: FrameReader<Message>,
  response: HandshakeResponse41,
  maxPasswordLength: number,
  signal: AbortSignal,
): Promise<string> {
  let answer: Buffer;
  if (response.authPluginName === AuthPlugin.CLEAR_PASSWORD && response.authResponse.length > 0) {
    answer = response.authResponse;
  } else {
    const request = encodeAuthSwitchRequest({ pluginName: AuthPlugin.CLEAR_PASSWORD, pluginData: Buffer.of(0) });
    link.stream.write(packet(request, link.sequenceId));
    const reply = await reader.next(signal);
    link.sequenceId = (reply.lastSequenceId + 1) & 0xff;
    answer = reply.payload;
  }
  const end = answer.indexOf(0);
  const bytes = end < 0 ? answer : answer.subarray(0, end);
  if (bytes.length > maxPasswordLength) {
    throw new SessionEnd('auth_failed', `password exceeds ${maxPasswordLength} bytes`, {
      code: errorCode(Errors.AccessDenied),
      message: `Access denied for user '${response.username}' (password too long)`,
    });
  }
  if (bytes.length === 0) {
    throw new SessionEnd('auth_failed', 'empty password', {
      code: errorCode(Errors.AccessDenied),
      message: `Access denied for user '${response.username}' (using password: NO)`,
      hint: 'present your Postern credential as the password',
    });
  }
  return bytes.toString('utf8');
}

/** Whether the client asked for multi-statements (a statement rule still sees the whole text). */
export function wantsMultiStatements(capabilities: SessionCapabilities): boolean {
  return hasCapability(capabilities.flags, Capability.MULTI_STATEMENTS);
}

function violation(message: string): SessionEnd {
  return new SessionEnd('protocol_error', message, { code: errorCode(Errors.BadHandshake), message: 'Bad handshake' });
}
