import { Inject, Injectable } from '@nestjs/common';
import type { VerifiedIdentity } from '@postern/oidc';
import type { Actor, Role } from '../auth/actor.js';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { PermissionDeniedError } from '../errors/domain-error.js';
import { UsersRepository } from './users.repository.js';

/**
 * Turns a verified token into the API caller: users and service identities are created or
 * updated from the claims (groups included), and API roles follow from the groups.
 */
@Injectable()
export class IdentityService {
  constructor(
    private readonly users: UsersRepository,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  async actorFor(identity: VerifiedIdentity): Promise<Actor> {
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
