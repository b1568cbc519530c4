import { isIP, Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { BackendParser, EncryptionResponseCode, frontend } from '@postern/wire-postgres';
import type { ResolvedConnection } from '../engine.js';
import { FrameReader } from '../common/frame-reader.js';
import { tlsHandshake } from '../common/tls.js';

export type TargetTlsMode = ResolvedConnection['target']['tls']['mode'];

/** Where the target is and how to secure the link, resolved (the CA is PEM, not a reference). */
export interface TargetEndpoint {
  host: string;
  port: number;
  /** The address dialled: `host` as the agent's allow-list checked and DNS answered it, pinned. */
  address: string;
  tlsMode: TargetTlsMode;
  /** PEM CA bundle; null trusts Node's default roots for verify-ca / verify-full. */
  ca: string | null;
}

export interface TargetTransport {
  stream: Duplex;
  /** True when the link is TLS. */
  encrypted: boolean;
  /**
   * True when the TLS peer proved it is the target: verify-full, or verify-ca with the
   * connection's own CA (with the public roots, verify-ca accepts anyone's certificate).
   */
  verified: boolean;
  /** Bytes the target sent before the link was ready (the SSL answer), for the byte count. */
  bytesRead: number;
}

/** The target refused or could not complete the transport (TCP, TLS); the message has no secret. */
export class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}

/**
 * Opens TCP to the target and negotiates TLS like libpq's sslmode: `disable` never asks,
 * `prefer` asks and falls back to plaintext on 'N', `require` insists but (like libpq without a
 * root certificate) does not verify, unless a CA was given, in which case it verifies the chain
 * as libpq does when a root certificate exists; `verify-ca` checks the chain, `verify-full`
 * also the host name. Used for sessions and for forwarded cancel requests alike.
 */
export async function openTargetTransport(endpoint: TargetEndpoint, signal: AbortSignal): Promise<TargetTransport> {
  const socket = await connectTcp(endpoint, signal);
  try {
    if (endpoint.tlsMode === 'disable') return { stream: socket, encrypted: false, verified: false, bytesRead: 0 };
    const accepted = await requestSsl(socket, signal);
    if (!accepted) {
      if (endpoint.tlsMode === 'prefer') return { stream: socket, encrypted: false, verified: false, bytesRead: 1 };
      throw new TargetUnavailableError(`the target does not support TLS (tls mode ${endpoint.tlsMode})`);
    }
    const tls = await startTls(socket, endpoint, signal);
    const verified = endpoint.tlsMode === 'verify-full' || (endpoint.tlsMode === 'verify-ca' && endpoint.ca !== null);
    return { stream: tls, encrypted: true, verified, bytesRead: 1 };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

function connectTcp(endpoint: TargetEndpoint, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const cleanup = (): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => {
      cleanup();
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(new TargetUnavailableError(`cannot connect to ${endpoint.host}:${endpoint.port}: ${error.message}`));
    };
    const onAbort = (): void => onError(new Error('connection attempt aborted'));
    if (signal.aborted) return onAbort();
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.connect({ host: endpoint.address, port: endpoint.port });
  });
}

/** Sends SSLRequest; true when the target answered 'S'. */
async function requestSsl(socket: Socket, signal: AbortSignal): Promise<boolean> {
  const parser = new BackendParser();
  parser.expectSslResponse();
  const reader = new FrameReader(socket, parser, () => {});
  try {
    socket.write(frontend.sslRequest());
    const answer = await reader.next(signal);
    if (answer.kind !== 'encryption-response') {
      throw new TargetUnavailableError('the target answered the SSL request with an error');
    }
    return answer.code === EncryptionResponseCode.SSL;
  } catch (error) {
    if (error instanceof TargetUnavailableError) throw error;
    throw new TargetUnavailableError(`SSL negotiation with the target failed: ${errorText(error)}`);
  } finally {
    reader.detach();
  }
}

function startTls(socket: Socket, endpoint: TargetEndpoint, signal: AbortSignal): Promise<TLSSocket> {
  const verify = endpoint.tlsMode === 'verify-ca' || endpoint.tlsMode === 'verify-full' || endpoint.ca !== null;
  const options: ConnectionOptions = {
    socket,
    host: endpoint.host,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: verify,
  };
  if (endpoint.ca !== null) options.ca = endpoint.ca;
  // SNI carries names only; an IP address is still checked against the certificate's IP SANs.
  if (isIP(endpoint.host) === 0) options.servername = endpoint.host;
  if (endpoint.tlsMode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return tlsHandshake(tlsConnect(options), {
    side: 'client',
    signal,
    failure: (error) => new TargetUnavailableError(`TLS with the target failed: ${errorText(error)}`),
    onAbort: 'failure',
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
