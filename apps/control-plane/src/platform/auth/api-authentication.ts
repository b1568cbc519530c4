import type { Actor } from './actor.js';

/**
 * What the guard, the GraphQL gate and GraphQL-over-WebSocket need from authentication: turn an
 * API credential into the caller. The identity feature provides it (identity/api-authenticator.ts)
 * under this token, so this shared plumbing never imports a feature.
 */
export const API_AUTHENTICATION = Symbol('ApiAuthentication');

export interface Authenticated {
  actor: Actor;
  /** When the credential stops being valid (an OIDC token's expiry); null for the bootstrap token. */
  expiresAt: Date | null;
}

/** Called with the hex sha256 digest of each token whose session ends (any replica). */
export type SessionEndedListener = (tokenDigest: string) => void;

export interface ApiAuthentication {
  /** The caller of a credential; throws UnauthenticatedError when it admits nobody. */
  authenticate(token: string | undefined): Promise<Authenticated>;
  onSessionEnded(listener: SessionEndedListener): void;
}
