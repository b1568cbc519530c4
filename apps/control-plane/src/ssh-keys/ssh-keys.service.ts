import { Injectable } from '@nestjs/common';
import { parseSshPublicKey, SshPublicKeyError } from '@postern/contracts';
import { AuditService } from '../audit/audit.service.js';
import { auditActor, hasRole, type Actor } from '../platform/auth/actor.js';
import { requireUuid } from '../platform/common/validation.js';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from '../platform/errors/domain-error.js';
import { UsersService } from '../identity/users.service.js';
import { PolicyService } from '../policy/policy.service.js';
import { DuplicateSshKeyError, SshKeysRepository } from './ssh-keys.repository.js';
import { MAX_SSH_KEY_NAME_LENGTH, MAX_SSH_KEYS_PER_USER, type SshKey } from './ssh-key.types.js';

/**
 * SSH public keys users register to log in to SSH connections as themselves. Keys reach the
 * agents in the policy snapshot; adding or removing one is a policy change, so a removed key stops
 * admitting new sessions and ends the sessions it opened as soon as the agents have the snapshot.
 */
@Injectable()
export class SshKeysService {
  constructor(
    private readonly repository: SshKeysRepository,
    private readonly users: UsersService,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
  ) {}

  async list(userId: string): Promise<SshKey[]> {
    return this.repository.list(requireUuid(userId, 'userId'));
  }

  async add(userId: string, input: { publicKey: string; name?: string | null }, actor: Actor): Promise<SshKey> {
    const user = await this.users.get(requireUuid(userId, 'userId'));
    if (user.disabledAt) throw new PermissionDeniedError('user is disabled');
    let key;
    try {
      key = parseSshPublicKey(input.publicKey);
    } catch (error) {
      if (error instanceof SshPublicKeyError) throw new InvalidArgumentError(error.message);
      throw error;
    }
    const name = (input.name ?? key.comment).trim() || key.fingerprint;
    if (name.length > MAX_SSH_KEY_NAME_LENGTH || /[\p{Cc}]/u.test(name))
      throw new InvalidArgumentError(`name must be at most ${MAX_SSH_KEY_NAME_LENGTH} printable characters`);
    let added;
    try {
      added = await this.repository.add(
        {
          userId: user.id,
          name,
          algorithm: key.algorithm,
          fingerprint: key.fingerprint,
          bits: key.bits,
          publicKey: key.blob,
        },
        MAX_SSH_KEYS_PER_USER,
      );
    } catch (error) {
      if (error instanceof DuplicateSshKeyError)
        throw new AlreadyExistsError(`the SSH key ${key.fingerprint} is already registered`);
      throw error;
    }
    if (added === 'limit') throw new InvalidArgumentError(`a user holds at most ${MAX_SSH_KEYS_PER_USER} SSH keys`);
    await this.audit.record({
      kind: 'ssh_key.added',
      ...auditActor(actor),
      details: { userId: user.id, keyId: added.id, fingerprint: added.fingerprint, algorithm: added.algorithm },
    });
    await this.policy.changed('ssh key added');
    return added;
  }

  /** Removes a key: its owner, or an admin. */
  async remove(id: string, actor: Actor): Promise<SshKey> {
    const key = await this.repository.get(requireUuid(id, 'id'));
    if (!key || (key.userId !== actor.id && !hasRole(actor, ['admin']))) throw new NotFoundError('ssh key', id);
    const removed = await this.repository.remove(key.id);
    if (!removed) throw new NotFoundError('ssh key', id);
    await this.audit.record({
      kind: 'ssh_key.removed',
      ...auditActor(actor),
      details: { userId: removed.userId, keyId: removed.id, fingerprint: removed.fingerprint },
    });
    await this.policy.changed('ssh key removed');
    return removed;
  }
}
