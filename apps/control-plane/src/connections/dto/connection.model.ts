import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Connection } from '../connection.types.js';

export enum ConnectionProtocolEnum {
  POSTGRES = 'POSTGRES',
  MYSQL = 'MYSQL',
  SSH = 'SSH',
  KUBERNETES = 'KUBERNETES',
  HTTP = 'HTTP',
}
registerEnumType(ConnectionProtocolEnum, { name: 'ConnectionProtocol' });

@ObjectType('Connection', { description: 'A target reachable through Postern. Its secret never leaves the agent.' })
export class ConnectionModel {
  @Field(() => ID) id!: string;
  @Field({ description: 'What clients name: the PostgreSQL dbname.' }) name!: string;
  @Field(() => ConnectionProtocolEnum) protocol!: string;
  @Field(() => ID, { nullable: true }) agentId!: string | null;
  @Field(() => ID, { nullable: true, description: 'Served by any online agent of this group.' })
  agentGroupId!: string | null;
  @Field() targetHost!: string;
  @Field(() => Int) targetPort!: number;
  @Field(() => String, { nullable: true }) targetDatabase!: string | null;
  @Field(() => String, { nullable: true }) targetUser!: string | null;
  @Field(() => String, { nullable: true, description: 'env:NAME or file:/path on the agent.' }) secretRef!:
    string | null;
  @Field() tlsMode!: string;
  @Field(() => String, { nullable: true }) tlsCaRef!: string | null;
  @Field() recordingMode!: string;
  @Field() createdAt!: Date;

  static from(c: Connection): ConnectionModel {
    return Object.assign(new ConnectionModel(), c);
  }
}

@InputType('CreateConnectionInput')
export class CreateConnectionInput {
  @Field() name!: string;
  @Field(() => ConnectionProtocolEnum) protocol!: ConnectionProtocolEnum;
  @Field(() => ID, { nullable: true, description: 'The agent serving it; or give agentGroupId.' })
  agentId?: string | null;
  @Field(() => ID, { nullable: true, description: 'An agent group whose members all serve it; or give agentId.' })
  agentGroupId?: string | null;
  @Field() targetHost!: string;
  @Field(() => Int) targetPort!: number;
  @Field(() => String, { nullable: true }) targetDatabase?: string | null;
  @Field(() => String, { nullable: true }) targetUser?: string | null;
  @Field(() => String, { nullable: true, description: 'env:NAME or file:/path, resolved on the agent.' }) secretRef?:
    string | null;
  @Field(() => String, {
    nullable: true,
    description: 'disable | prefer | require | verify-ca | verify-full (default prefer)',
  })
  tlsMode?: string | null;
  @Field(() => String, { nullable: true }) tlsCaRef?: string | null;
}

@InputType('SetConnectionServerInput', { description: 'Exactly one of agentId and agentGroupId.' })
export class SetConnectionServerInput {
  @Field(() => ID, { nullable: true }) agentId?: string | null;
  @Field(() => ID, { nullable: true }) agentGroupId?: string | null;
}
