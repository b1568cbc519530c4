import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { AgentGroupsService } from './agent-groups.service.js';
import {
  AgentGroupJoinTokenModel,
  AgentGroupModel,
  AgentModel,
  CreateAgentGroupJoinTokenPayload,
} from './dto/agent.model.js';

/** GraphQL for agent groups (replicas serving the same connections): translation only. */
@Resolver(() => AgentGroupModel)
export class AgentGroupsResolver {
  constructor(private readonly service: AgentGroupsService) {}

  @Query(() => [AgentGroupModel])
  async agentGroups() {
    return (await this.service.list()).map(AgentGroupModel.from);
  }

  @ResolveField(() => [AgentGroupJoinTokenModel], { description: 'Join tokens of the group, newest first.' })
  async joinTokens(@Parent() group: AgentGroupModel) {
    return (await this.service.joinTokensOf(group.id)).map(AgentGroupJoinTokenModel.from);
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

  @Mutation(() => CreateAgentGroupJoinTokenPayload, {
    description:
      'A join token for the replicas of a group (for example a StatefulSet sharing one Secret): each replica ' +
      'that enrolls with it becomes an agent <group>-<hostname> with its own credential. Default lifetime 30 days.',
  })
  async createAgentGroupJoinToken(
    @Args('agentGroupId', { type: () => ID }) agentGroupId: string,
    @Args('ttlSeconds', { type: () => Int, nullable: true }) ttlSeconds: number | null,
    @Args('maxAgents', { type: () => Int, nullable: true }) maxAgents: number | null,
    @CurrentActor() actor: Actor,
  ): Promise<CreateAgentGroupJoinTokenPayload> {
    const { token, joinToken } = await this.service.createJoinToken(agentGroupId, { ttlSeconds, maxAgents }, actor.id);
    return { token, joinToken: AgentGroupJoinTokenModel.from(joinToken) };
  }

  @Mutation(() => Boolean, {
    description: 'Revokes a join token: no new replica can join with it; agents that joined keep their credentials.',
  })
  async revokeAgentGroupJoinToken(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    await this.service.revokeJoinToken(id, actor.id);
    return true;
  }
}
