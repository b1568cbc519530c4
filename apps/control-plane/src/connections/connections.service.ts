import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { AgentGroupsService } from '../agents/agent-groups.service.js';
import { AgentsService } from '../agents/agents.service.js';
import { RESOURCE_NAME, UUID } from '../platform/common/validation.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import { REVOKE_CHANNEL, type RevokeOrder } from '../policy/policy.events.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { auditActor, type Actor } from '../platform/auth/actor.js';
import { ConnectionsRepository, DuplicateConnectionNameError } from './connections.repository.js';
import type { Connection, ConnectionServer, ConnectionSpec, NewConnection } from './connection.types.js';
import { CONNECTION_VALIDATORS } from './protocols/index.js';

@Injectable()
export class ConnectionsService {
  constructor(
    private readonly repository: ConnectionsRepository,
    private readonly agents: AgentsService,
    private readonly agentGroups: AgentGroupsService,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
    private readonly redis: RedisService,
  ) {}

  /** Creates a connection of any protocol of the enum, checked by that protocol's validator. */
  async create(spec: ConnectionSpec, actor: string): Promise<Connection> {
    const input = validate(spec);
    await this.requireServer(input);
    try {
      const connection = await this.repository.create(input);
      await this.audit.record({
        kind: 'connection.created',
        actorId: actor,
        actorKind: 'admin',
        connectionId: connection.id,
        agentId: input.agentId,
        details: {
          name: input.name,
          protocol: input.protocol,
          target: `${input.targetHost}:${input.targetPort}`,
          agentGroupId: input.agentGroupId ?? '',
        },
      });
      await this.policy.changed('connection created', await this.servingAgentIds(input));
      return connection;
    } catch (error) {
      if (error instanceof DuplicateConnectionNameError)
        throw new AlreadyExistsError(`a connection named "${input.name}" already exists`);
      throw error;
    }
  }

  /** Moves a connection to another agent or agent group; both old and new servers get new snapshots. */
  async setServer(id: string, server: ConnectionServer, actor: string): Promise<Connection> {
    validateServer(server);
    const before = await this.get(id);
    await this.requireServer(server);
    const connection = await this.repository.setServer(before.id, server);
    if (!connection) throw new NotFoundError('connection', id);
    await this.audit.record({
      kind: 'connection.updated',
      actorId: actor,
      actorKind: 'admin',
      connectionId: connection.id,
      agentId: server.agentId,
      details: { agentGroupId: server.agentGroupId ?? '' },
    });
    const affected = new Set([...(await this.servingAgentIds(before)), ...(await this.servingAgentIds(server))]);
    await this.policy.changed('connection moved', [...affected]);
    return connection;
  }

  /**
   * Deletes a connection, keeping its history (connections-repository `tombstone`): its access
   * rules go, its grants and credentials are revoked, pending requests cancelled, and its live
   * sessions are ended by their agents (revoke orders, like any other revocation); the agents that
   * served it get a snapshot without it.
   */
  async delete(id: string, actor: Actor): Promise<Connection> {
    const before = await this.get(id);
    const serving = await this.servingAgentIds(before);
    const tombstone = await this.repository.tombstone(before.id, new Date());
    if (!tombstone) throw new NotFoundError('connection', id);
    await this.audit.record({
      kind: 'connection.deleted',
      ...auditActor(actor),
      connectionId: before.id,
      agentId: before.agentId,
      details: {
        name: before.name,
        agentGroupId: before.agentGroupId ?? '',
        accessRulesDeleted: tombstone.accessRulesDeleted,
        grantsRevoked: tombstone.grantsRevoked,
        credentialsRevoked: tombstone.credentialsRevoked,
        reviewsCancelled: tombstone.reviewsCancelled,
        sessionsEnded: tombstone.activeSessions.length,
      },
    });
    for (const session of tombstone.activeSessions) {
      const order: RevokeOrder = {
        agentId: session.agentId,
        scope: 'SCOPE_SESSION',
        id: session.id,
        reason: `connection ${before.name} was deleted`,
      };
      await this.redis.publish(REVOKE_CHANNEL, JSON.stringify(order));
    }
    await this.policy.changed('connection deleted', serving);
    return tombstone.connection;
  }

  /** The agents whose snapshots contain a connection served this way. */
  async servingAgentIds(server: ConnectionServer): Promise<string[]> {
    if (server.agentId) return [server.agentId];
    return server.agentGroupId ? this.agentGroups.memberIds(server.agentGroupId) : [];
  }

  private async requireServer(server: ConnectionServer): Promise<void> {
    if (server.agentId) await this.agents.getAgent(server.agentId);
    else await this.agentGroups.get(server.agentGroupId!);
  }

  async get(id: string): Promise<Connection> {
    const connection = UUID.test(id) ? await this.repository.findById(id) : null;
    if (!connection) throw new NotFoundError('connection', id);
    return connection;
  }

  findByName(name: string): Promise<Connection | null> {
    return RESOURCE_NAME.test(name) ? this.repository.findByName(name) : Promise.resolve(null);
  }

  list(): Promise<Connection[]> {
    return this.repository.list();
  }
}

function validate(spec: ConnectionSpec): NewConnection {
  if (!RESOURCE_NAME.test(spec.name)) {
    throw new InvalidArgumentError('connection name must be 1-63 lowercase letters, digits, "_" or "-"');
  }
  const validator = Object.hasOwn(CONNECTION_VALIDATORS, spec.protocol) ? CONNECTION_VALIDATORS[spec.protocol] : null;
  if (!validator) throw new InvalidArgumentError(`protocol ${String(spec.protocol)} is not a connection protocol`);
  if ((spec.http ?? null) !== null && spec.protocol !== 'HTTP')
    throw new InvalidArgumentError('http options are for HTTP connections');
  const server = { agentId: spec.agentId, agentGroupId: spec.agentGroupId };
  validateServer(server);
  return { name: spec.name, protocol: spec.protocol, ...server, ...validator.validate(spec) };
}

function validateServer(server: ConnectionServer): void {
  if ((server.agentId === null) === (server.agentGroupId === null)) {
    throw new InvalidArgumentError('exactly one of agentId and agentGroupId is required');
  }
  if (server.agentId !== null && !UUID.test(server.agentId)) throw new InvalidArgumentError('agentId must be a UUID');
  if (server.agentGroupId !== null && !UUID.test(server.agentGroupId))
    throw new InvalidArgumentError('agentGroupId must be a UUID');
}
