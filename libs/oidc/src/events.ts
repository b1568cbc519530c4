import type { TokenRejectionCode } from './errors.js';

/**
 * What happened to the verifier's I/O, for the caller's metrics and logs: the library itself
 * never logs, so it stays usable in the agent, the control plane and the CLI alike.
 */
export type OidcEvent =
  | { type: 'jwks_fetched'; uri: string; keyCount: number }
  | { type: 'jwks_fetch_failed'; uri: string; reason: string; servingCachedKeys: boolean }
  | { type: 'jwks_refresh_throttled'; retryInSeconds: number }
  | { type: 'discovery_failed'; issuer: string; reason: string }
  | { type: 'introspection_failed'; endpoint: string; reason: string }
  | { type: 'token_rejected'; code: TokenRejectionCode };

export type OidcEventListener = (event: OidcEvent) => void;

/** A throwing listener must not turn into a rejected (or, worse, accepted) token. */
export function safeEmitter(listener: OidcEventListener | undefined): OidcEventListener {
  if (!listener) return () => undefined;
  return (event) => {
    try {
      listener(event);
    } catch {
      // Metrics are best effort.
    }
  };
}
