import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import {
  backend,
  decodeCancelRequest,
  decodeStartupMessage,
  FrontendParser,
  ProtocolError,
  type Frame,
  type StartupMessage,
} from '@postern/wire-postgres';
import { FrameReader } from '../common/frame-reader.js';
import { tlsHandshake } from '../common/tls.js';
import { SessionEnd, SqlStates } from './session-end.js';

/** How the client opened: a cancel request, or a session with its StartupMessage. */
export type ClientOpening =
  | { kind: 'cancel'; processId: number; secretKey: Buffer }
  | {
      kind: 'startup';
      /** The client stream to use from now on: the TLS socket when the client negotiated TLS. */
      stream: Duplex;
      encrypted: boolean;
      parser: FrontendParser;
      reader: FrameReader<Frame>;
      startup: StartupMessage;
    };

export interface ClientStartupOptions {
  clientTls: SecureContext | null;
  maxClientMessageLength: number;
  countBytes: (bytes: number) => void;
  /** Called with the TLS socket as soon as it exists, so the session can close it on any path. */
  onTlsSocket: (socket: TLSSocket) => void;
}

/**
 * Runs the untyped start of the protocol: SSLRequest ('S' and a TLS handshake when the ingress
 * has a certificate, else 'N'), GSSENCRequest (always 'N'), then a CancelRequest or a
 * StartupMessage. Parser errors and an early close surface as `next()` rejections, mapped by
 * the session.
 */
export async function readClientOpening(
  client: Duplex,
  options: ClientStartupOptions,
  signal: AbortSignal,
): Promise<ClientOpening> {
  let stream = client;
  let encrypted = false;
  let parser = new FrontendParser({ maxMessageLength: options.maxClientMessageLength });
  let reader = new FrameReader(stream, parser, options.countBytes);
  for (;;) {
    const frame = await reader.next(signal).catch(silentOnBadLength);
    switch (frame.kind) {
      case 'ssl-request':
      case 'gssenc-request':
        if (encrypted) throw violation(`${frame.kind} inside an encrypted connection`);
        if (frame.kind === 'gssenc-request' || options.clientTls === null) {
          stream.write(backend.encryptionResponse(false));
          continue;
        }
        reader.detach();
        stream.write(backend.encryptionResponse(true, 'ssl'));
        stream = await startServerTls(stream, options.clientTls, signal, options.onTlsSocket);
        encrypted = true;
        // Plaintext sent before the handshake was refused by the parser; start afresh.
        parser = new FrontendParser({ maxMessageLength: options.maxClientMessageLength });
        reader = new FrameReader(stream, parser, options.countBytes);
        continue;
      case 'cancel-request': {
        reader.detach();
        const cancel = decodeCancelRequest(frame);
        return { kind: 'cancel', processId: cancel.processId, secretKey: Buffer.from(cancel.secretKey) };
      }
      case 'startup':
        return { kind: 'startup', stream, encrypted, parser, reader, startup: decodeStartupMessage(frame) };
      default:
        throw violation(`unexpected ${frame.kind} packet during startup`);
    }
  }
}

/** Upgrades the client to TLS; works over any Duplex (a relayed gRPC stream as well as a socket). */
function startServerTls(
  stream: Duplex,
  secureContext: SecureContext,
  signal: AbortSignal,
  onTlsSocket: (socket: TLSSocket) => void,
): Promise<TLSSocket> {
  const tls = new TLSSocket(stream, { isServer: true, secureContext });
  onTlsSocket(tls);
  return tlsHandshake(tls, {
    side: 'server',
    signal,
    failure: (error) => new SessionEnd('protocol_error', `client TLS handshake failed: ${error.message}`),
    onAbort: 'reason',
  });
}

/**
 * A packet whose length cannot be a startup packet (a Terminate or other typed message sent
 * before any startup, random bytes) is closed without a word, as PostgreSQL does (it only logs
 * "invalid length of startup packet"): the peer is not speaking the protocol.
 */
function silentOnBadLength(error: unknown): never {
  if (error instanceof ProtocolError && (error.code === 'INVALID_LENGTH' || error.code === 'MESSAGE_TOO_LARGE')) {
    throw new SessionEnd('protocol_error', `invalid startup packet: ${error.message}`);
  }
  throw error;
}

function violation(message: string): SessionEnd {
  return new SessionEnd('protocol_error', message, { code: SqlStates.ProtocolViolation, message });
}
