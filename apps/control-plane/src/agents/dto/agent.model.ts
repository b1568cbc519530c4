import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Agent, AgentGroup, AgentGroupJoinToken, AgentStatus } from '../agent.types.js';
import { agentHostKeyAlias, SshHostKeyModel } from './ssh-host-key.model.js';

export enum AgentStatusEnum {
  PENDING = 'PENDING',
  ONLINE = 'ONLINE',
  OFFLINE = 'OFFLINE',
  DISABLED = 'DISABLED',
}
registerEnumType(AgentStatusEnum, {
  name: 'AgentStatus',
  description: 'PENDING: created, not enrolled yet. ONLINE: holds a Control stream. DISABLED: credential revoked.',
});

@ObjectType('Label')
export class LabelModel {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType('Agent', { description: 'An agent deployed next to resources; it dials out to the control plane.' })
export class AgentModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => ID, { nullable: true, description: 'The agent group this agent is a replica in.' })
  agentGroupId!: string | null;
  @Field(() => AgentStatusEnum) status!: AgentStatus;
  @Field(() => [LabelModel]) labels!: LabelModel[];
  @Field(() => String, { nullable: true, description: 'Version the agent reported in its last hello.' })
  version!: string | null;
  @Field(() => String, { nullable: true }) hostname!: string | null;
  @Field(() => Date, { nullable: true }) enrolledAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the current (or last) Control stream opened.' })
  connectedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Last hello or heartbeat received.' })
  lastSeenAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Control-plane instance holding the stream.' })
  connectedTo!: string | null;
  @Field(() => String, { nullable: true, description: 'Policy version the agent reports enforcing.' })
  policyVersion!: string | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Latest policy version minus the one the agent enforces (0: up to date; null: unknown).',
  })
  policyBehind!: number | null;
  @Field(() => [SshHostKeyModel], {
    description:
      "The agent's SSH engine host key as announced in its last hello (empty without the ssh engine): what " +
      'clients of its local SSH listener pin, and what the SSH relay verifies when it dials the agent.',
  })
  sshHostKeys!: SshHostKeyModel[];
  @Field() createdAt!: Date;

  static from(agent: Agent, latestPolicyVersion: bigint | null = null): AgentModel {
    const behind =
      latestPolicyVersion === null || agent.policyVersion === null
        ? null
        : Number(latestPolicyVersion > agent.policyVersion ? latestPolicyVersion - agent.policyVersion : 0n);
    return Object.assign(new AgentModel(), {
      ...agent,
      labels: Object.entries(agent.labels).map(([key, value]) => ({ key, value })),
      policyVersion: agent.policyVersion === null ? null : agent.policyVersion.toString(),
      policyBehind: behind,
      sshHostKeys: agent.hostKeys
        .filter((key) => key.protocol === 'ssh')
        .map((key) => SshHostKeyModel.of(agentHostKeyAlias(agent.name), key)),
    });
  }
}

@ObjectType('EnrollmentToken')
export class EnrollmentTokenModel {
  @Field({ description: 'One-time token for POSTERN_ENROLLMENT_TOKEN. Shown once; only its hash is stored.' })
  token!: string;
  @Field() expiresAt!: Date;
}

@ObjectType('CreateAgentPayload')
export class CreateAgentPayload {
  @Field(() => AgentModel) agent!: AgentModel;
  @Field(() => EnrollmentTokenModel) enrollment!: EnrollmentTokenModel;
}

@ObjectType('AgentGroup', {
  description: 'Agents that replicate each other: each serves the connections of the group with its own identity.',
})
export class AgentGroupModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() createdAt!: Date;

  static from(group: AgentGroup): AgentGroupModel {
    return Object.assign(new AgentGroupModel(), group);
  }
}

@ObjectType('AgentGroupJoinToken', {
  description:
    'A reusable token with which replicas join an agent group, each enrolling as an agent of its own ' +
    '(named <group>-<hostname>) with its own credential.',
})
export class AgentGroupJoinTokenModel {
  @Field(() => ID) id!: string;
  @Field(() => ID) agentGroupId!: string;
  @Field() expiresAt!: Date;
  @Field(() => Int, { nullable: true, description: 'How many agents may join with it; null: no cap.' })
  maxAgents!: number | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field() createdAt!: Date;
  @Field(() => Int, { description: 'Agents that enrolled with it so far.' }) agentCount!: number;

  static from(token: AgentGroupJoinToken): AgentGroupJoinTokenModel {
    return Object.assign(new AgentGroupJoinTokenModel(), token);
  }
}

@ObjectType('CreateAgentGroupJoinTokenPayload')
export class CreateAgentGroupJoinTokenPayload {
  @Field({
    description: 'The token for POSTERN_ENROLLMENT_TOKEN of every replica. Shown once; only its hash is stored.',
  })
  token!: string;
  @Field(() => AgentGroupJoinTokenModel) joinToken!: AgentGroupJoinTokenModel;
}
