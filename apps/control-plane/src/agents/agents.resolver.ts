import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { AgentsService } from './agents.service.js';
import { AgentModel, AgentStatusEnum, CreateAgentPayload, EnrollmentTokenModel } from './dto/agent.model.js';
import { CreateAgentInput } from './dto/create-agent.input.js';

/** GraphQL for agents: a translation layer only; rules live in AgentsService. */
@Resolver(() => AgentModel)
export class AgentsResolver {
  constructor(private readonly service: AgentsService) {}

  @Query(() => [AgentModel], {
    description:
      'Every agent, by name; optionally only those in one status, in one agent group, or (stalePolicy) ' +
      'enforcing an older policy version than the latest.',
  })
  async agents(
    @Args('status', { type: () => AgentStatusEnum, nullable: true }) status?: AgentStatusEnum | null,
    @Args('agentGroupId', { type: () => ID, nullable: true }) agentGroupId?: string | null,
    @Args('stalePolicy', { type: () => Boolean, nullable: true }) stalePolicy?: boolean | null,
  ) {
    const { agents, latestPolicyVersion } = await this.service.listAgents({
      status: status ?? undefined,
      agentGroupId: agentGroupId ?? undefined,
      stalePolicy: stalePolicy ?? undefined,
    });
    return agents.map((agent) => AgentModel.from(agent, latestPolicyVersion));
  }

  @Query(() => AgentModel)
  async agent(@Args('id', { type: () => ID }) id: string) {
    return AgentModel.from(await this.service.getAgent(id), await this.service.latestPolicyVersion());
  }

  @Mutation(() => CreateAgentPayload, { description: 'Creates an agent and its one-time enrollment token.' })
  async createAgent(@Args('input') input: CreateAgentInput, @CurrentActor() actor: Actor): Promise<CreateAgentPayload> {
    const labels: Record<string, string> = {};
    for (const label of input.labels ?? []) {
      if (label.key in labels) throw new InvalidArgumentError(`label "${label.key}" given twice`);
      labels[label.key] = label.value;
    }
    const { agent, enrollment } = await this.service.createAgent(
      { name: input.name, labels, agentGroupId: input.agentGroupId },
      actor.id,
    );
    return { agent: AgentModel.from(agent), enrollment };
  }

  @Mutation(() => EnrollmentTokenModel, {
    description: 'A new one-time enrollment token for an existing agent; using it rotates the agent credential.',
  })
  createEnrollmentToken(@Args('agentId', { type: () => ID }) agentId: string, @CurrentActor() actor: Actor) {
    return this.service.createEnrollmentToken(agentId, actor.id);
  }

  @Mutation(() => AgentModel, { description: 'Revokes the agent credential and ends its streams.' })
  async disableAgent(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return AgentModel.from(await this.service.disable(id, actor.id));
  }
}
