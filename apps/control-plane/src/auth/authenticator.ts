import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TokenRejectedError } from '@postern/oidc';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { UnauthenticatedError } from '../errors/domain-error.js';
import { IdentityService } from '../identity/identity.service.js';
import { ApiSessionsService } from '../identity/api-sessions.service.js';
import { ApiTokenVerifier } from '../identity/token-verifier.js';
import type { Actor } from './actor.js';

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';
/** Cookie set by the sign-in flow (authorization code + PKCE) for the dashboard. */
export const SESSION_COOKIE = 'postern_session';

export interface Authenticated {
  actor: Actor;
  /** When the credential stops being valid (an OIDC token's expiry); null for the bootstrap token. */
  expiresAt: Date | null;
}

/**
 * Turns an API credential into the caller: the bootstrap admin token (constant-time, on digests
 * of equal length), or an OIDC access token verified locally. Used by the HTTP guard and by
 * GraphQL subscriptions when a WebSocket connection is initialised.
 */
@Injectable()
export class ApiAuthenticator {
  private readonly bootstrapDigest: Buffer;

  constructor(
    private readonly verifier: ApiTokenVerifier,
    private readonly identities: IdentityService,
    private readonly sessions: ApiSessionsService,
    @Inject(CONFIG) config: ControlPlaneConfig,
  ) {
    this.bootstrapDigest = digest(config.admin.bootstrapToken);
  }

  async authenticate(token: string | undefined): Promise<Authenticated> {
    if (!token) throw new UnauthenticatedError('missing credentials: send "Authorization: Bearer <token>"');
    if (timingSafeEqual(digest(token), this.bootstrapDigest)) {
      return { actor: { id: BOOTSTRAP_ADMIN_ID, kind: 'admin-token', roles: ['admin'], groups: [] }, expiresAt: null };
    }
    if (!this.verifier.enabled) throw new UnauthenticatedError('invalid credentials');
    // A token whose browser session was ended (logout) stays refused until it expires.
    if (await this.sessions.isEnded(token)) throw new UnauthenticatedError('session ended: sign in again');
    try {
      const identity = await this.verifier.verify(token);
      const actor = await this.identities.actorFor(identity, digest(token).toString('hex'));
      return { actor, expiresAt: identity.expiresAt };
    } catch (error) {
      if (error instanceof TokenRejectedError) throw new UnauthenticatedError(`invalid token: ${error.message}`);
      throw error;
    }
  }

  onSessionEnded(listener: SessionEndedListener): void {
    this.sessions.onEnded(listener);
  }
}

/** Called with the hex sha256 digest of each token whose session ends (any replica). */
export type SessionEndedListener = (tokenDigest: string) => void;

/** The bearer token of a request, else its session cookie. */
export function tokenOf(
  headers: Record<string, string | string[] | undefined>,
  cookies?: Record<string, string | undefined>,
): string | undefined {
  return bearerToken(headers['authorization']) ?? cookies?.[SESSION_COOKIE] ?? sessionCookie(headers['cookie']);
}

export function bearerToken(header: unknown): string | undefined {
  return typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
}

/** The `postern_session` cookie of a raw Cookie header. */
export function sessionCookie(raw: string | string[] | undefined): string | undefined {
  if (typeof raw !== 'string') return undefined;
  for (const part of raw.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
