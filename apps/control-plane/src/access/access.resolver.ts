import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Roles } from '../platform/auth/roles.decorator.js';
import { PermissionDeniedError } from '../platform/errors/domain-error.js';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { AccessService } from './access.service.js';
import {
  AccessRuleModel,
  ConnectionCredentialModel,
  CreateAccessRuleInput,
  MintConnectionCredentialInput,
  MintedConnectionCredentialModel,
  ReachableConnectionModel,
} from './dto/access.model.js';

@Resolver()
export class AccessResolver {
  constructor(private readonly service: AccessService) {}

  @Query(() => [AccessRuleModel])
  async accessRules(@Args('connectionId', { type: () => ID, nullable: true }) connectionId?: string | null) {
    return (await this.service.rules(connectionId ?? undefined)).map(AccessRuleModel.from);
  }

  @Mutation(() => AccessRuleModel)
  async createAccessRule(@Args('input') input: CreateAccessRuleInput, @CurrentActor() actor: Actor) {
    return AccessRuleModel.from(await this.service.createRule(input, actor.id));
  }

  @Mutation(() => AccessRuleModel)
  async deleteAccessRule(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return AccessRuleModel.from(await this.service.deleteRule(id, actor.id));
  }

  @Mutation(() => MintedConnectionCredentialModel, {
    description: 'A short-lived password for one user and one connection, checked by the agent.',
  })
  async mintConnectionCredential(@Args('input') input: MintConnectionCredentialInput, @CurrentActor() actor: Actor) {
    const { credential, token, connection, loginName } = await this.service.mintCredential(input, actor);
    return {
      credential: ConnectionCredentialModel.from(credential),
      password: token,
      database: connection.name,
      loginName,
    };
  }

  @Query(() => [ReachableConnectionModel], {
    description: 'Connections you can reach now (standing rule or just-in-time grant) or may request.',
  })
  @Roles('user')
  async myAccess(@CurrentActor() actor: Actor) {
    if (actor.kind !== 'user') throw new PermissionDeniedError('only signed-in users have access of their own');
    return (await this.service.reachable(actor.id)).map(ReachableConnectionModel.from);
  }

  @Mutation(() => MintedConnectionCredentialModel, {
    description: 'A short-lived password for yourself on a connection you have access to (standing or granted).',
  })
  @Roles('user')
  async mintMyConnectionCredential(
    @Args('connectionId', { type: () => ID }) connectionId: string,
    @Args('ttlSeconds', { type: () => Int, nullable: true }) ttlSeconds: number | null,
    @CurrentActor() actor: Actor,
  ) {
    if (actor.kind !== 'user') throw new PermissionDeniedError('only signed-in users mint credentials for themselves');
    const { credential, token, connection, loginName } = await this.service.mintCredential(
      { connectionId, userId: actor.id, ttlSeconds },
      actor,
    );
    return {
      credential: ConnectionCredentialModel.from(credential),
      password: token,
      database: connection.name,
      loginName,
    };
  }

  @Mutation(() => ConnectionCredentialModel)
  async revokeConnectionCredential(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return ConnectionCredentialModel.from(await this.service.revokeCredential(id, actor.id));
  }
}
