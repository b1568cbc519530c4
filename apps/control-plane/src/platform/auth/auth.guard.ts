import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PermissionDeniedError } from '../errors/domain-error.js';
import { hasRole, requestOf, type Role } from './actor.js';
import { API_AUTHENTICATION, type ApiAuthentication } from './api-authentication.js';
import { tokenOf } from './credentials.js';
import { IS_PUBLIC } from './public.decorator.js';
import { ROLES } from './roles.decorator.js';

/**
 * Global guard: every resolver and controller requires an authenticated caller unless marked
 * @Public, and a role from its @Roles (admin only when it has none). Accepted credentials:
 * the bootstrap admin token, or an OIDC access token — as a bearer header, or in the session
 * cookie set by sign-in — verified locally (API_AUTHENTICATION, from the identity feature). GraphQL subscriptions pass the
 * credential their WebSocket connection was initialised with as a bearer header.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_AUTHENTICATION) private readonly authenticator: ApiAuthentication,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = requestOf(context);
    const { actor } = await this.authenticator.authenticate(tokenOf(request.headers, request.cookies));
    request.actor = actor;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets) ?? ['admin'];
    if (!hasRole(actor, roles)) throw new PermissionDeniedError(`requires the ${roles.join(' or ')} role`);
    return true;
  }
}
