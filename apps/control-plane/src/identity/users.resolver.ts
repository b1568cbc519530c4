import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { CreateUserInput, MeModel, UserModel } from './dto/user.model.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { UsersService } from './users.service.js';

@Resolver(() => UserModel)
export class UsersResolver {
  constructor(private readonly service: UsersService) {}

  @Query(() => MeModel)
  @Roles('user')
  async me(@CurrentActor() actor: Actor): Promise<MeModel> {
    const user = actor.kind === 'user' ? UserModel.from(await this.service.get(actor.id)) : null;
    return { id: actor.id, kind: actor.kind, roles: actor.roles, groups: actor.groups, user };
  }

  @Query(() => [UserModel])
  async users() {
    return (await this.service.list()).map(UserModel.from);
  }

  @Query(() => UserModel)
  async user(@Args('id', { type: () => ID }) id: string) {
    return UserModel.from(await this.service.get(id));
  }

  @Mutation(() => UserModel, { description: 'Creates a local user (not from an OIDC provider) with its groups.' })
  async createUser(@Args('input') input: CreateUserInput, @CurrentActor() actor: Actor) {
    return UserModel.from(await this.service.createLocalUser(input, actor.id));
  }

  @Mutation(() => UserModel, {
    description: 'A disabled user can open no new session and their credentials stop working.',
  })
  async setUserDisabled(
    @Args('id', { type: () => ID }) id: string,
    @Args('disabled') disabled: boolean,
    @CurrentActor() actor: Actor,
  ) {
    return UserModel.from(await this.service.setDisabled(id, disabled, actor.id));
  }
}
