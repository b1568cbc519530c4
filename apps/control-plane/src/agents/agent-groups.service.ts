import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { mintSecret } from '@postern/contracts';
import { AuditService } from '../audit/audit.service.js';
import { RESOURCE_NAME, UUID } from '../platform/common/validation.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import { AgentGroupJoinTokensRepository } from './agent-group-join-tokens.repository.js';
import { AgentGroupsRepository, DuplicateAgentGroupNameError } from './agent-groups.repository.js';
import { AgentsRepository } from './agents.repository.js';
import type { Agent, AgentGroup, AgentGroupJoinToken } from './agent.types.js';

/** Join tokens live 30 days unless asked otherwise, and at most a year: they sit in a Secret. */
const JOIN_TOKEN_DEFAULT_TTL_SECONDS = 30 * 86_400;
const JOIN_TOKEN_MAX_TTL_SECONDS = 365 * 86_400;
const JOIN_TOKEN_MAX_AGENTS = 1_000;

/**
 * Agent groups: replicas of one another. A connection served by a group is in the snapshot of
 * every member; each member keeps its own identity, credential, presence and sessions.
 */
@Injectable()
export class AgentGroupsService {
  constructor(
    private readonly groups: AgentGroupsRepository,
    private readonly agents: AgentsRepository,
    private readonly joinTokens: AgentGroupJoinTokensRepository,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
  ) {}

  async create(name: string, actor: string): Promise<AgentGroup> {
    if (!RESOURCE_NAME.test(name)) {
      throw new InvalidArgumentError('agent group name must be 1-63 lowercase letters, digits, "_" or "-"');
    }
    try {
      const group = await this.groups.create(name);
      await this.audit.record({ kind: 'agent_group.created', actorId: actor, actorKind: 'admin', details: { name } });
      return group;
    } catch (error) {
      if (error instanceof DuplicateAgentGroupNameError)
        throw new AlreadyExistsError(`an agent group named "${name}" already exists`);
      throw error;
    }
  }

  async get(id: string): Promise<AgentGroup> {
    const group = UUID.test(id) ? await this.groups.findById(id) : null;
    if (!group) throw new NotFoundError('agent group', id);
    return group;
  }

  list(): Promise<AgentGroup[]> {
    return this.groups.list();
  }

  members(groupId: string): Promise<Agent[]> {
    return this.agents.list({ agentGroupId: groupId });
  }

  /** Puts an agent into a group (null: out of any); its snapshot gains or loses the group's connections. */
  async setAgentGroup(agentId: string, groupId: string | null, actor: string): Promise<Agent> {
    if (groupId !== null) await this.get(groupId);
    const agent = UUID.test(agentId) ? await this.agents.setGroup(agentId, groupId) : null;
    if (!agent) throw new NotFoundError('agent', agentId);
    await this.audit.record({
      kind: 'agent.group_changed',
      actorId: actor,
      actorKind: 'admin',
      agentId,
      details: { agentGroupId: groupId ?? '' },
    });
    await this.policy.changed('agent group membership changed', [agentId]);
    return agent;
  }

  /** Online members of a group, as relay candidates. */
  onlineMemberIds(groupId: string): Promise<string[]> {
    return this.agents.onlineMemberIds(groupId);
  }

  memberIds(groupId: string): Promise<string[]> {
    return this.agents.memberIds(groupId);
  }

  /**
   * A join token for the group: every replica that enrols with it becomes an agent of its own in
   * the group (`<group>-<hostname>`), with its own credential — what a StatefulSet of agents
   * shares instead of one credential. Shown once; only its hash is stored.
   */
  async createJoinToken(
    groupId: string,
    options: { ttlSeconds?: number | null | undefined; maxAgents?: number | null | undefined },
    actor: string,
  ): Promise<{ token: string; joinToken: AgentGroupJoinToken }> {
    await this.get(groupId);
    const ttl = options.ttlSeconds ?? JOIN_TOKEN_DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > JOIN_TOKEN_MAX_TTL_SECONDS) {
      throw new InvalidArgumentError(`ttlSeconds must be an integer from 60 to ${JOIN_TOKEN_MAX_TTL_SECONDS}`);
    }
    const maxAgents = options.maxAgents ?? null;
    if (maxAgents !== null && (!Number.isInteger(maxAgents) || maxAgents < 1 || maxAgents > JOIN_TOKEN_MAX_AGENTS)) {
      throw new InvalidArgumentError(`maxAgents must be an integer from 1 to ${JOIN_TOKEN_MAX_AGENTS}`);
    }
    const id = randomUUID();
    const secret = mintSecret('join', id);
    const joinToken = await this.joinTokens.create({
      id,
      agentGroupId: groupId,
      tokenHash: secret.hash,
      expiresAt: new Date(Date.now() + ttl * 1000),
      maxAgents,
    });
    await this.audit.record({
      kind: 'agent_group.join_token_issued',
      actorId: actor,
      actorKind: 'admin',
      details: { agentGroupId: groupId, joinTokenId: id, maxAgents, expiresAt: joinToken.expiresAt.toISOString() },
    });
    return { token: secret.token, joinToken };
  }

  joinTokensOf(groupId: string): Promise<AgentGroupJoinToken[]> {
    return this.joinTokens.list(groupId);
  }

  /** No new replica can join with the token; agents that joined keep their own credentials. */
  async revokeJoinToken(id: string, actor: string): Promise<void> {
    const revoked = UUID.test(id) ? await this.joinTokens.revoke(id, new Date()) : null;
    if (!revoked) throw new NotFoundError('live join token', id);
    await this.audit.record({
      kind: 'agent_group.join_token_revoked',
      actorId: actor,
      actorKind: 'admin',
      details: { agentGroupId: revoked.agentGroupId, joinTokenId: id },
    });
  }
}
