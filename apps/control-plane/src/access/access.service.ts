import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { mintSecret } from '@postern/contracts';
import { AuditService } from '../audit/audit.service.js';
import { auditActor, type Actor } from '../platform/auth/actor.js';
import { requireGroupNames, requireUuid } from '../platform/common/validation.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../platform/errors/domain-error.js';
import { UsersService } from '../identity/users.service.js';
import { PolicyService } from '../policy/policy.service.js';
import { AccessRepository } from './access.repository.js';
import { OPERATIONS, type AccessRule, type Operation, type ReachableConnection } from './access.types.js';

const MAX_CREDENTIAL_TTL_SECONDS = 12 * 3600;
const DEFAULT_CREDENTIAL_TTL_SECONDS = 3600;

/** Who may reach which connection (rules by group) and the short-lived credentials that prove it. */
@Injectable()
export class AccessService {
  constructor(
    private readonly repository: AccessRepository,
    private readonly connections: ConnectionsService,
    private readonly users: UsersService,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
  ) {}

  async createRule(
    input: {
      connectionId: string;
      groups: string[];
      operations: string[];
      maxSessionSeconds?: number | null;
      requiresApproval?: boolean | null;
      approverGroups?: string[] | null;
    },
    actor: string,
  ): Promise<AccessRule> {
    const connection = await this.connections.get(requireUuid(input.connectionId, 'connectionId'));
    const operations = [...new Set(input.operations)];
    if (operations.length === 0 || operations.some((op) => !OPERATIONS.includes(op as Operation))) {
      throw new InvalidArgumentError(`operations must be some of ${OPERATIONS.join(', ')}`);
    }
    if (
      input.maxSessionSeconds !== null &&
      input.maxSessionSeconds !== undefined &&
      (input.maxSessionSeconds < 60 || input.maxSessionSeconds > 7 * 86400)
    ) {
      throw new InvalidArgumentError('maxSessionSeconds must be between 60 and 604800');
    }
    const requiresApproval = input.requiresApproval ?? false;
    const approverGroups = requiresApproval ? requireGroupNames(input.approverGroups ?? []) : [];
    const rule = await this.repository.createRule({
      connectionId: connection.id,
      groups: requireGroupNames(input.groups),
      operations: operations as Operation[],
      requiresApproval,
      approverGroups,
      maxSessionSeconds: input.maxSessionSeconds ?? null,
    });
    await this.audit.record({
      kind: 'access_rule.created',
      actorId: actor,
      actorKind: 'admin',
      connectionId: connection.id,
      details: { ruleId: rule.id, groups: rule.groups.join(',') },
    });
    await this.policy.changed('access rule created', connection.agentId ? [connection.agentId] : []);
    return rule;
  }

  async deleteRule(id: string, actor: string): Promise<AccessRule> {
    const rule = await this.repository.deleteRule(requireUuid(id, 'id'));
    if (!rule) throw new NotFoundError('access rule', id);
    await this.audit.record({
      kind: 'access_rule.deleted',
      actorId: actor,
      actorKind: 'admin',
      connectionId: rule.connectionId,
      details: { ruleId: id },
    });
    await this.policy.changed('access rule deleted');
    return rule;
  }

  /**
   * What one user can reach now: connections a standing rule of their groups opens, connections an
   * active just-in-time grant opens (until when), and connections they may request.
   */
  async reachable(userId: string, now = new Date()): Promise<ReachableConnection[]> {
    const user = await this.users.get(requireUuid(userId, 'userId'));
    if (user.disabledAt) return [];
    const [connections, rules, grants] = await Promise.all([
      this.connections.list(),
      this.repository.rulesFor(undefined),
      this.repository.activeGrantExpiries(user.id, now),
    ]);
    const reachable: ReachableConnection[] = [];
    for (const connection of connections) {
      const mine = rules.filter(
        (rule) => rule.connectionId === connection.id && rule.groups.some((g) => user.groups.includes(g)),
      );
      if (mine.length === 0) continue;
      const operations = [...new Set(mine.flatMap((rule) => rule.operations))].sort();
      if (mine.some((rule) => !rule.requiresApproval)) {
        reachable.push({ connection, access: 'standing', expiresAt: null, operations });
        continue;
      }
      const grantExpiry = grants.get(connection.id) ?? null;
      reachable.push({
        connection,
        access: grantExpiry ? 'granted' : 'requestable',
        expiresAt: grantExpiry,
        operations,
      });
    }
    return reachable;
  }

  rules(connectionId?: string): Promise<AccessRule[]> {
    return this.repository.rulesFor(connectionId ? requireUuid(connectionId, 'connectionId') : undefined);
  }

  /**
   * Mints a short-lived password for one user and one connection. Refused unless an access rule
   * of the connection names one of the user's groups; the agent checks the same again at connect.
   */
  async mintCredential(input: { connectionId: string; userId: string; ttlSeconds?: number | null }, actor: Actor) {
    const connection = await this.connections.get(requireUuid(input.connectionId, 'connectionId'));
    const user = await this.users.get(requireUuid(input.userId, 'userId'));
    if (user.disabledAt) throw new PermissionDeniedError('user is disabled');
    const ttl = input.ttlSeconds ?? DEFAULT_CREDENTIAL_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 30 || ttl > MAX_CREDENTIAL_TTL_SECONDS) {
      throw new InvalidArgumentError(`ttlSeconds must be between 30 and ${MAX_CREDENTIAL_TTL_SECONDS}`);
    }
    const rules = await this.repository.rulesFor(connection.id);
    const standing = rules.some((rule) => !rule.requiresApproval && rule.groups.some((g) => user.groups.includes(g)));
    const now = new Date();
    const grantExpiry = standing ? null : await this.repository.activeGrantExpiry(user.id, connection.id, now);
    if (!standing && !grantExpiry) {
      throw new PermissionDeniedError(
        `user has no access to connection ${connection.name} (request just-in-time access if a rule allows it)`,
      );
    }
    const id = randomUUID();
    const minted = mintSecret('conn', id);
    const requested = new Date(now.getTime() + ttl * 1000);
    const credential = await this.repository.createCredential({
      id,
      userId: user.id,
      connectionId: connection.id,
      secretHash: minted.hash,
      // A credential from a just-in-time grant never outlives the grant.
      expiresAt: grantExpiry && grantExpiry < requested ? grantExpiry : requested,
    });
    await this.audit.record({
      kind: 'credential.minted',
      ...auditActor(actor),
      connectionId: connection.id,
      details: { credentialId: id, userId: user.id, ttlSeconds: ttl },
    });
    const policyVersion = await this.policy.changed(
      'connection credential minted',
      connection.agentId ? [connection.agentId] : [],
    );
    // The name to present as the client's user: what the agent accepts for this principal; the
    // policy version from which agents know the credential.
    return { credential, token: minted.token, connection, loginName: user.email ?? user.subject, policyVersion };
  }

  async revokeCredential(id: string, actor: string) {
    const credential = await this.repository.revokeCredential(requireUuid(id, 'id'), new Date());
    if (!credential) throw new NotFoundError('active connection credential', id);
    await this.audit.record({
      kind: 'credential.revoked',
      actorId: actor,
      actorKind: 'admin',
      connectionId: credential.connectionId,
      details: { credentialId: id },
    });
    await this.policy.changed('connection credential revoked');
    return credential;
  }
}
