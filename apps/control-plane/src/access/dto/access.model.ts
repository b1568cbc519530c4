import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { AccessRule, ConnectionCredentialInfo, ReachableConnection } from '../access.types.js';

@ObjectType('AccessRule', { description: 'Members of any of `groups` may use the connection for `operations`.' })
export class AccessRuleModel {
  @Field(() => ID) id!: string;
  @Field(() => ID) connectionId!: string;
  @Field(() => [String]) groups!: string[];
  @Field(() => [String], {
    description:
      'read | write | admin | exec | shell | sftp | forward | line-guard. On SSH connections a rule naming any of shell, exec, sftp, forward allows only those; naming none of them allows all four; line-guard checks the lines typed in interactive shells (advisory).',
  })
  operations!: string[];
  @Field({ description: 'Members must request access and be approved (just-in-time grant).' })
  requiresApproval!: boolean;
  @Field(() => [String]) approverGroups!: string[];
  @Field(() => Int, { nullable: true }) maxSessionSeconds!: number | null;
  @Field() createdAt!: Date;

  static from(rule: AccessRule): AccessRuleModel {
    return Object.assign(new AccessRuleModel(), rule);
  }
}

@InputType('CreateAccessRuleInput')
export class CreateAccessRuleInput {
  @Field(() => ID) connectionId!: string;
  @Field(() => [String]) groups!: string[];
  @Field(() => [String]) operations!: string[];
  @Field(() => Int, { nullable: true }) maxSessionSeconds?: number | null;
  @Field(() => Boolean, { nullable: true }) requiresApproval?: boolean | null;
  @Field(() => [String], { nullable: true, description: 'Who may approve requests (required with requiresApproval).' })
  approverGroups?: string[] | null;
}

@ObjectType('ConnectionCredential')
export class ConnectionCredentialModel {
  @Field(() => ID) id!: string;
  @Field(() => ID) userId!: string;
  @Field(() => ID) connectionId!: string;
  @Field() expiresAt!: Date;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field() createdAt!: Date;

  static from(c: ConnectionCredentialInfo): ConnectionCredentialModel {
    return Object.assign(new ConnectionCredentialModel(), c);
  }
}

@ObjectType('MintedConnectionCredential')
export class MintedConnectionCredentialModel {
  @Field(() => ConnectionCredentialModel) credential!: ConnectionCredentialModel;
  @Field({ description: 'The password to present (shown once; only its hash is kept).' }) password!: string;
  @Field({ description: 'The database name to present: the connection name.' }) database!: string;
  @Field({
    description: "The user name to present: the credential's user, as the agent accepts it (e-mail or subject).",
  })
  loginName!: string;
}

@InputType('MintConnectionCredentialInput')
export class MintConnectionCredentialInput {
  @Field(() => ID) connectionId!: string;
  @Field(() => ID) userId!: string;
  @Field(() => Int, { nullable: true, description: 'Lifetime, 30 s to 12 h; default 1 h.' }) ttlSeconds?: number | null;
}

@ObjectType('ReachableConnection', { description: 'A connection you can reach now, or may request.' })
export class ReachableConnectionModel {
  @Field(() => ID) connectionId!: string;
  @Field() name!: string;
  @Field({ description: 'postgres, mysql, ssh, kubernetes or http' }) protocol!: string;
  @Field({ description: 'standing (an access rule of your groups), granted (a just-in-time grant) or requestable' })
  access!: string;
  @Field(() => Date, { nullable: true, description: 'When a grant ends (granted only).' }) expiresAt!: Date | null;
  @Field(() => [String]) operations!: string[];

  static from(reachable: ReachableConnection): ReachableConnectionModel {
    return Object.assign(new ReachableConnectionModel(), {
      connectionId: reachable.connection.id,
      name: reachable.connection.name,
      // The engine's name, as agents and relay endpoints call the protocol (POSTGRES → postgres).
      protocol: reachable.connection.protocol.toLowerCase(),
      access: reachable.access,
      expiresAt: reachable.expiresAt,
      operations: reachable.operations,
    });
  }
}
