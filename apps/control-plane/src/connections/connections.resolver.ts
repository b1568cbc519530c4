import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { ConnectionModel, CreateConnectionInput, SetConnectionServerInput } from './dto/connection.model.js';
import { ConnectionsService } from './connections.service.js';

@Resolver(() => ConnectionModel)
export class ConnectionsResolver {
  constructor(private readonly service: ConnectionsService) {}

  @Query(() => [ConnectionModel])
  async connections() {
    return (await this.service.list()).map(ConnectionModel.from);
  }

  @Query(() => ConnectionModel)
  async connection(@Args('id', { type: () => ID }) id: string) {
    return ConnectionModel.from(await this.service.get(id));
  }

  @Mutation(() => ConnectionModel)
  async createConnection(@Args('input') input: CreateConnectionInput, @CurrentActor() actor: Actor) {
    const connection = await this.service.create(
      {
        name: input.name,
        protocol: input.protocol,
        agentId: input.agentId ?? null,
        agentGroupId: input.agentGroupId ?? null,
        targetHost: input.targetHost ?? null,
        targetPort: input.targetPort ?? null,
        targetDatabase: input.targetDatabase ?? null,
        targetUser: input.targetUser ?? null,
        secretRef: input.secretRef ?? null,
        tlsMode: input.tlsMode ?? null,
        tlsCaRef: input.tlsCaRef ?? null,
        url: input.url ?? null,
        hostKeyFingerprint: input.hostKeyFingerprint ?? null,
        authHeaderName: input.authHeaderName ?? null,
        http: input.http ?? null,
        forwardDestinations: input.forwardDestinations ?? null,
      },
      actor.id,
    );
    return ConnectionModel.from(connection);
  }

  @Mutation(() => ConnectionModel, {
    description:
      'Deletes a connection (its history stays): access rules are removed, grants and credentials revoked, ' +
      'pending requests cancelled, and live sessions on it are ended by their agents.',
  })
  async deleteConnection(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return ConnectionModel.from(await this.service.delete(id, actor));
  }

  @Mutation(() => ConnectionModel, { description: 'Moves a connection to another agent or agent group.' })
  async updateConnectionServer(
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: SetConnectionServerInput,
    @CurrentActor() actor: Actor,
  ) {
    const server = { agentId: input.agentId ?? null, agentGroupId: input.agentGroupId ?? null };
    return ConnectionModel.from(await this.service.setServer(id, server, actor.id));
  }
}
