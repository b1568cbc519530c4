import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { UnauthenticatedError } from '../errors/domain-error.js';
import { requestOf } from './actor.js';
import { IS_PUBLIC } from './public.decorator.js';

const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

/**
 * Global guard: every resolver and controller requires authentication unless marked @Public.
 * Until OIDC sign-in lands, the only accepted credential is the bootstrap admin token from the
 * configuration, compared in constant time (digests of equal length, so the comparison leaks
 * neither content nor length).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) config: ControlPlaneConfig,
  ) {
    this.expected = digest(config.admin.bootstrapToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = requestOf(context);
    const header = request.headers['authorization'];
    const token = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
    if (!token) throw new UnauthenticatedError('missing credentials: send "Authorization: Bearer <token>"');
    if (!timingSafeEqual(digest(token), this.expected)) throw new UnauthenticatedError('invalid credentials');
    request.actor = { id: BOOTSTRAP_ADMIN_ID, roles: ['admin'] };
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
