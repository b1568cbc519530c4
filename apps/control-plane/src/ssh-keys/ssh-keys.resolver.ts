import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { PermissionDeniedError } from '../platform/errors/domain-error.js';
import { AddSshKeyInput, SshKeyModel } from './dto/ssh-key.model.js';
import { SshKeysService } from './ssh-keys.service.js';

@Resolver(() => SshKeyModel)
export class SshKeysResolver {
  constructor(private readonly service: SshKeysService) {}

  @Query(() => [SshKeyModel], { description: 'Your SSH public keys.' })
  @Roles('user')
  async mySshKeys(@CurrentActor() actor: Actor) {
    return (await this.service.list(userOf(actor))).map(SshKeyModel.from);
  }

  @Mutation(() => SshKeyModel, { description: 'Registers an SSH public key to log in to SSH connections with.' })
  @Roles('user')
  async addMySshKey(@Args('input') input: AddSshKeyInput, @CurrentActor() actor: Actor) {
    return SshKeyModel.from(await this.service.add(userOf(actor), input, actor));
  }

  @Mutation(() => SshKeyModel, { description: "Removes one of your SSH keys (admins: anyone's); its sessions end." })
  @Roles('user')
  async removeSshKey(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return SshKeyModel.from(await this.service.remove(id, actor));
  }

  @Mutation(() => SshKeyModel, { description: 'Registers an SSH public key for a user (operators provisioning).' })
  async addSshKey(
    @Args('userId', { type: () => ID }) userId: string,
    @Args('input') input: AddSshKeyInput,
    @CurrentActor() actor: Actor,
  ) {
    return SshKeyModel.from(await this.service.add(userId, input, actor));
  }

  @Query(() => [SshKeyModel], { description: "A user's SSH public keys." })
  async sshKeys(@Args('userId', { type: () => ID }) userId: string) {
    return (await this.service.list(userId)).map(SshKeyModel.from);
  }
}

function userOf(actor: Actor): string {
  if (actor.kind !== 'user') throw new PermissionDeniedError('only signed-in users have SSH keys of their own');
  return actor.id;
}
