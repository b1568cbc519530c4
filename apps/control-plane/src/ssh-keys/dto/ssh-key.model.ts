import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { SshKey } from '../ssh-key.types.js';

@ObjectType('SshKey', { description: 'An SSH public key a user logs in to SSH connections with.' })
export class SshKeyModel {
  @Field(() => ID) id!: string;
  @Field(() => ID) userId!: string;
  @Field() name!: string;
  @Field({ description: 'ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa' }) algorithm!: string;
  @Field({ description: 'SHA256 fingerprint, as `ssh-keygen -l` prints it.' }) fingerprint!: string;
  @Field(() => Int) bits!: number;
  @Field() createdAt!: Date;

  static from(key: SshKey): SshKeyModel {
    return Object.assign(new SshKeyModel(), key);
  }
}

@InputType('AddSshKeyInput')
export class AddSshKeyInput {
  @Field({ description: 'One line of a .pub file: `<type> <base64> [comment]`.' }) publicKey!: string;
  @Field(() => String, { nullable: true, description: 'Defaults to the key comment.' }) name?: string | null;
}
