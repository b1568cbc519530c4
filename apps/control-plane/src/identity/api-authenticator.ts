import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TokenRejectedError } from '@postern/oidc';
import type { ApiAuthentication, Authenticated, SessionEndedListener } from '../platform/auth/api-authentication.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { UnauthenticatedError } from '../platform/errors/domain-error.js';
import { ApiSessionsService } from './api-sessions.service.js';
import { IdentityService } from './identity.service.js';
import { ApiTokenVerifier } from './token-verifier.js';

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

/**
 * Turns an API credential into the caller: the bootstrap admin token (constant-time, on digests
 * of equal length), or an OIDC access token verified locally. Used by the HTTP guard and by
 * GraphQL subscriptions when a WebSocket connection is initialised, as API_AUTHENTICATION.
 */
@Injectable()
export class ApiAuthenticator implements ApiAuthentication {
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

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
