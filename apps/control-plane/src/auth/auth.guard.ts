import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TokenRejectedError } from '@postern/oidc';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { PermissionDeniedError, UnauthenticatedError } from '../errors/domain-error.js';
import { IdentityService } from '../identity/identity.service.js';
import { ApiTokenVerifier } from '../identity/token-verifier.js';
import { hasRole, requestOf, type Actor, type Role } from './actor.js';
import { IS_PUBLIC } from './public.decorator.js';
import { ROLES } from './roles.decorator.js';

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';
/** Cookie set by the sign-in flow (authorization code + PKCE) for the dashboard. */
export const SESSION_COOKIE = 'postern_session';

/**
 * Global guard: every resolver and controller requires an authenticated caller unless marked
 * @Public, and a role from its @Roles (admin only when it has none). Accepted credentials:
 * the bootstrap admin token (constant-time, on digests of equal length), or an OIDC access
 * token — as a bearer header, or in the session cookie set by sign-in — verified locally.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly bootstrapDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiTokenVerifier,
    private readonly identities: IdentityService,
    @Inject(CONFIG) config: ControlPlaneConfig,
  ) {
    this.bootstrapDigest = digest(config.admin.bootstrapToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = requestOf(context);
    const actor = await this.authenticate(tokenOf(request.headers, request.cookies));
    request.actor = actor;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets) ?? ['admin'];
    if (!hasRole(actor, roles)) throw new PermissionDeniedError(`requires the ${roles.join(' or ')} role`);
    return true;
  }

  private async authenticate(token: string | undefined): Promise<Actor> {
    if (!token) throw new UnauthenticatedError('missing credentials: send "Authorization: Bearer <token>"');
    if (timingSafeEqual(digest(token), this.bootstrapDigest)) {
      return { id: BOOTSTRAP_ADMIN_ID, kind: 'admin-token', roles: ['admin'], groups: [] };
    }
    if (!this.verifier.enabled) throw new UnauthenticatedError('invalid credentials');
    try {
      return await this.identities.actorFor(await this.verifier.verify(token), digest(token).toString('hex'));
    } catch (error) {
      if (error instanceof TokenRejectedError) throw new UnauthenticatedError(`invalid token: ${error.message}`);
      throw error;
    }
  }
}

function tokenOf(
  headers: Record<string, string | string[] | undefined>,
  cookies?: Record<string, string | undefined>,
): string | undefined {
  const header = headers['authorization'];
  const bearer = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
  if (bearer) return bearer;
  const fromCookie = cookies?.[SESSION_COOKIE];
  if (fromCookie) return fromCookie;
  const raw = headers['cookie'];
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
