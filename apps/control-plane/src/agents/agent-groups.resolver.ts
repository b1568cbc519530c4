import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { AgentGroupsService } from './agent-groups.service.js';
import { AgentGroupModel, AgentModel } from './dto/agent.model.js';

/** GraphQL for agent groups (replicas serving the same connections): translation only. */
@Resolver(() => AgentGroupModel)
export class AgentGroupsResolver {
  constructor(private readonly service: AgentGroupsService) {}

  @Query(() => [AgentGroupModel])
  async agentGroups() {
    return (await this.service.list()).map(AgentGroupModel.from);
  }

  @Mutation(() => AgentGroupModel, { description: 'Creates a group of agents that serve the same connections.' })
  async createAgentGroup(@Args('name') name: string, @CurrentActor() actor: Actor) {
    return AgentGroupModel.from(await this.service.create(name, actor.id));
  }

  @Mutation(() => AgentModel, { description: 'Puts an agent into an agent group, or out of any with null.' })
  async setAgentGroup(
    @Args('agentId', { type: () => ID }) agentId: string,
    @Args('agentGroupId', { type: () => ID, nullable: true }) agentGroupId: string | null,
    @CurrentActor() actor: Actor,
  ) {
    return AgentModel.from(await this.service.setAgentGroup(agentId, agentGroupId ?? null, actor.id));
  }
}
