import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import type { User } from '../user.types.js';

@ObjectType('User')
export class UserModel {
  @Field(() => ID) id!: string;
  @Field() issuer!: string;
  @Field() subject!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) displayName!: string | null;
  @Field(() => [String]) groups!: string[];
  @Field(() => Date, { nullable: true }) disabledAt!: Date | null;
  @Field() createdAt!: Date;

  static from(user: User): UserModel {
    return Object.assign(new UserModel(), user);
  }
}

@InputType('CreateUserInput')
export class CreateUserInput {
  @Field() email!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => [String]) groups!: string[];
}

@ObjectType('Me', { description: 'The caller, as the API sees it.' })
export class MeModel {
  @Field(() => ID) id!: string;
  @Field({ description: 'admin-token, user or service' }) kind!: string;
  @Field(() => [String]) roles!: string[];
  @Field(() => [String]) groups!: string[];
  @Field(() => UserModel, { nullable: true }) user!: UserModel | null;
}
