import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { requireGroupNames, UUID } from '../platform/common/validation.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import { UsersRepository, DuplicateUserError } from './users.repository.js';
import { LOCAL_ISSUER, type User } from './user.types.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/**
 * Users. Until OIDC sign-in lands (identity issue), admins create local users with their groups;
 * OIDC users will be created and updated from token claims through the same repository.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
  ) {}

  async createLocalUser(
    input: { email: string; displayName?: string | null; groups: string[] },
    actor: string,
  ): Promise<User> {
    if (!EMAIL.test(input.email)) throw new InvalidArgumentError('email is not valid');
    const groups = requireGroupNames(input.groups);
    try {
      const user = await this.repository.create({
        issuer: LOCAL_ISSUER,
        subject: input.email.toLowerCase(),
        email: input.email.toLowerCase(),
        displayName: input.displayName?.slice(0, 200) ?? null,
        groups,
      });
      await this.audit.record({
        kind: 'user.created',
        actorId: actor,
        actorKind: 'admin',
        details: { userId: user.id, groups: groups.join(',') },
      });
      return user;
    } catch (error) {
      if (error instanceof DuplicateUserError) throw new AlreadyExistsError(`a user ${input.email} already exists`);
      throw error;
    }
  }

  /**
   * The principal standing for a machine identity mapped from a trusted issuer's token: created on
   * first use, its groups replaced by the mapping rule's on every exchange. `issuer` names the
   * trusted issuer, so no mapping can produce (and so take over) a person's account.
   */
  upsertMachineIdentity(input: { issuer: string; name: string; groups: string[] }): Promise<User> {
    return this.repository.upsertFromIdentity({
      issuer: input.issuer,
      subject: input.name,
      email: null,
      emailVerified: null,
      displayName: input.name,
      groups: input.groups,
    });
  }

  async get(id: string): Promise<User> {
    const user = UUID.test(id) ? await this.repository.findById(id) : null;
    if (!user) throw new NotFoundError('user', id);
    return user;
  }

  list(): Promise<User[]> {
    return this.repository.list();
  }

  /** Disabling withdraws the user's credentials from every agent's policy at once. */
  async setDisabled(id: string, disabled: boolean, actor: string): Promise<User> {
    const user = UUID.test(id) ? await this.repository.setDisabled(id, disabled ? new Date() : null) : null;
    if (!user) throw new NotFoundError('user', id);
    await this.audit.record({
      kind: disabled ? 'user.disabled' : 'user.enabled',
      actorId: actor,
      actorKind: 'admin',
      details: { userId: id },
    });
    await this.policy.changed(disabled ? 'user disabled' : 'user enabled');
    return user;
  }
}
