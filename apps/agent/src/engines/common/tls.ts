import type { TLSSocket } from 'node:tls';
import { failSpan, startChildOfActive } from '@postern/tracing';

export interface TlsHandshakeOptions {
  /**
   * `server`: we terminate the client's TLS (resolves on 'secure'); `client`: we dial a target
   * (resolves on 'secureConnect', after the certificate checks).
   */
  side: 'server' | 'client';
  signal: AbortSignal;
  /** What a failed handshake rejects with: the engine's own error (no secret in its message). */
  failure(error: Error): Error;
  /**
   * On abort: `reason` rejects with the signal's reason (the session's story: revoked, shut
   * down, timed out); `failure` treats it as a failed handshake.
   */
  onAbort: 'reason' | 'failure';
}

/**
 * Waits for a TLS handshake, whichever side we are; every listener is removed once it settles.
 * A socket that closes before it is secure fails the handshake. On a client-side failure the
 * socket is destroyed; on the server side the session's close does it (it may still speak).
 */
export function tlsHandshake(tls: TLSSocket, options: TlsHandshakeOptions): Promise<TLSSocket> {
  const { side, signal } = options;
  const secureEvent = side === 'server' ? 'secure' : 'secureConnect';
  // Under the session's setup span (the engine runs in its context) when the process follows
  // async context; a no-op when tracing is off.
  const span = startChildOfActive(
    side === 'server' ? 'postern.tls.client_handshake' : 'postern.tls.upstream_handshake',
    {},
  );
  const handshake = new Promise<TLSSocket>((resolve, reject) => {
    const cleanup = (): void => {
      tls.off(secureEvent, onSecure);
      tls.off('error', onError);
      tls.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onSecure = (): void => {
      cleanup();
      resolve(tls);
    };
    const onError = (error: Error): void => {
      cleanup();
      if (side === 'client') tls.destroy();
      reject(options.failure(error));
    };
    const onClose = (): void =>
      onError(new Error(`the ${side === 'server' ? 'client' : 'target'} closed the connection`));
    const onAbort = (): void => {
      if (options.onAbort === 'failure') return onError(new Error('TLS handshake aborted'));
      cleanup();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    tls.once(secureEvent, onSecure);
    tls.once('error', onError);
    tls.once('close', onClose);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  handshake.then(
    (secure) => {
      span.setAttribute('tls.protocol.version', secure.getProtocol() ?? '');
      span.end();
    },
    (error: unknown) => {
      failSpan(span, error);
      span.end();
    },
  );
  return handshake;
}
