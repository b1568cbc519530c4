import { Inject, Injectable } from '@nestjs/common';
import type { VerifiedIdentity } from '@postern/oidc';
import type { Actor, Role } from '../platform/auth/actor.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { PermissionDeniedError } from '../platform/errors/domain-error.js';
import { UsersRepository } from './users.repository.js';

/**
 * Turns a verified token into the API caller: users and service identities are created or
 * updated from the claims (groups included), and API roles follow from the groups.
 */
/** Verified tokens are mapped to callers once, then served from memory for a short while. */
const ACTOR_CACHE_MS = 30_000;
const ACTOR_CACHE_ENTRIES = 10_000;

@Injectable()
export class IdentityService {
  private readonly cache = new Map<string, { actor: Actor; until: number }>();

  constructor(
    private readonly users: UsersRepository,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  /**
   * The caller for a verified token. Users and their groups are written at most once per token
   * per ACTOR_CACHE_MS (not on every API call); a user disabled in Postern is refused within
   * that bound by the API, and at once by agents (pushed policy).
   */
  async actorFor(identity: VerifiedIdentity, tokenDigest: string): Promise<Actor> {
    const now = Date.now();
    const cached = this.cache.get(tokenDigest);
    if (cached && cached.until > now) return cached.actor;
    const actor = await this.resolve(identity);
    if (this.cache.size >= ACTOR_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(tokenDigest, { actor, until: Math.min(now + ACTOR_CACHE_MS, identity.expiresAt.getTime()) });
    return actor;
  }

  /** At sign-in: always writes the user and groups from the fresh claims. */
  syncFromSignIn(identity: VerifiedIdentity): Promise<Actor> {
    return this.resolve(identity);
  }

  private async resolve(identity: VerifiedIdentity): Promise<Actor> {
    if (identity.kind === 'service') {
      const service = await this.users.upsertServiceIdentity({
        issuer: identity.issuer,
        subject: identity.subject,
        name: `${identity.clientId ?? identity.subject}@${new URL(identity.issuer).host}`.slice(0, 200),
        groups: identity.groups,
      });
      if (service.disabledAt) throw new PermissionDeniedError('service identity is disabled');
      return { id: service.id, kind: 'service', roles: this.rolesFor(service.groups), groups: service.groups };
    }
    const user = await this.users.upsertFromIdentity({
      issuer: identity.issuer,
      subject: identity.subject,
      email: identity.email ?? null,
      emailVerified: emailVerifiedClaim(identity.claims['email_verified']),
      displayName: identity.name ?? null,
      groups: identity.groups,
    });
    if (user.disabledAt) throw new PermissionDeniedError('user is disabled');
    return { id: user.id, kind: 'user', roles: this.rolesFor(user.groups), groups: user.groups };
  }

  rolesFor(groups: string[]): Role[] {
    const roles: Role[] = ['user'];
    const { admin, approver, auditor } = this.config.roles;
    if (groups.some((g) => admin.includes(g))) roles.push('admin');
    if (groups.some((g) => approver.includes(g))) roles.push('approver');
    if (groups.some((g) => auditor.includes(g))) roles.push('auditor');
    return roles;
  }
}

/** `email_verified` as IdPs send it (a boolean; a few send the string "true"); null when absent. */
function emailVerifiedClaim(value: unknown): boolean | null {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return null;
}
