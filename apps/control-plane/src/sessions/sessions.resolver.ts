import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { SessionModel } from './dto/session.model.js';
import { SessionsService } from './sessions.service.js';

@Resolver(() => SessionModel)
export class SessionsResolver {
  constructor(private readonly service: SessionsService) {}

  @Query(() => [SessionModel], { description: 'Most recent sessions first.' })
  @Roles('auditor')
  async sessions(
    @Args('connectionId', { type: () => ID, nullable: true }) connectionId?: string | null,
    @Args('principalId', { type: () => String, nullable: true }) principalId?: string | null,
    @Args('status', { type: () => String, nullable: true, description: 'ACTIVE or CLOSED' }) status?: string | null,
    @Args('limit', { type: () => Int, nullable: true, defaultValue: 50 }) limit = 50,
  ) {
    const sessions = await this.service.list({
      connectionId: connectionId ?? undefined,
      principalId: principalId ?? undefined,
      status: status === 'ACTIVE' || status === 'CLOSED' ? status : undefined,
      limit,
    });
    return sessions.map(SessionModel.from);
  }

  @Query(() => SessionModel)
  @Roles('auditor')
  async session(@Args('id', { type: () => ID }) id: string) {
    return SessionModel.from(await this.service.get(id));
  }

  @Mutation(() => SessionModel, {
    description: 'Ends an active session now (the client gets a protocol-native error).',
  })
  async terminateSession(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return SessionModel.from(await this.service.terminate(id, actor.id));
  }
}
