import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { RESOURCE_NAME, UUID } from '../platform/common/validation.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import { AgentGroupsRepository, DuplicateAgentGroupNameError } from './agent-groups.repository.js';
import { AgentsRepository } from './agents.repository.js';
import type { Agent, AgentGroup } from './agent.types.js';

/**
 * Agent groups: replicas of one another. A connection served by a group is in the snapshot of
 * every member; each member keeps its own identity, credential, presence and sessions.
 */
@Injectable()
export class AgentGroupsService {
  constructor(
    private readonly groups: AgentGroupsRepository,
    private readonly agents: AgentsRepository,
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
}
