import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { AgentGroupsService } from '../agents/agent-groups.service.js';
import { AgentsService } from '../agents/agents.service.js';
import { RESOURCE_NAME, UUID } from '../common/validation.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import { REVOKE_CHANNEL, type RevokeOrder } from '../policy/policy.events.js';
import { RedisService } from '../infra/redis/redis.service.js';
import { auditActor, type Actor } from '../auth/actor.js';
import { ConnectionsRepository, DuplicateConnectionNameError } from './connections.repository.js';
import type { Connection, ConnectionServer, NewConnection, TlsMode } from './connection.types.js';

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]{0,127}|file:\/[^\0]{1,1023})$/;
const TLS_MODES: TlsMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** Protocols an agent can serve today; the others join as their engines land. */
const SUPPORTED: NewConnection['protocol'][] = ['POSTGRES'];

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

  async create(input: NewConnection, actor: string): Promise<Connection> {
    validate(input);
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

function validate(input: NewConnection): void {
  if (!RESOURCE_NAME.test(input.name)) {
    throw new InvalidArgumentError('connection name must be 1-63 lowercase letters, digits, "_" or "-"');
  }
  if (!SUPPORTED.includes(input.protocol))
    throw new InvalidArgumentError(`protocol ${input.protocol} is not supported by agents yet`);
  validateServer(input);
  if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(input.targetHost))
    throw new InvalidArgumentError('targetHost is not a valid host name or address');
  if (!Number.isInteger(input.targetPort) || input.targetPort < 1 || input.targetPort > 65535) {
    throw new InvalidArgumentError('targetPort must be 1..65535');
  }
  if (!input.targetDatabase || !input.targetUser)
    throw new InvalidArgumentError('targetDatabase and targetUser are required for PostgreSQL');
  if (input.secretRef !== null && !SECRET_REF.test(input.secretRef)) {
    throw new InvalidArgumentError(
      'secretRef must be env:NAME or file:/absolute/path (the secret itself is never sent to Postern)',
    );
  }
  if (input.tlsCaRef !== null && !SECRET_REF.test(input.tlsCaRef))
    throw new InvalidArgumentError('tlsCaRef must be env:NAME or file:/absolute/path');
  if (!TLS_MODES.includes(input.tlsMode))
    throw new InvalidArgumentError(`tlsMode must be one of ${TLS_MODES.join(', ')}`);
}

function validateServer(server: ConnectionServer): void {
  if ((server.agentId === null) === (server.agentGroupId === null)) {
    throw new InvalidArgumentError('exactly one of agentId and agentGroupId is required');
  }
  if (server.agentId !== null && !UUID.test(server.agentId)) throw new InvalidArgumentError('agentId must be a UUID');
  if (server.agentGroupId !== null && !UUID.test(server.agentGroupId))
    throw new InvalidArgumentError('agentGroupId must be a UUID');
}
