import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { SessionRecord } from '../session.types.js';

@ObjectType('Session', { description: 'One client connection through Postern, as its agent reported it.' })
export class SessionModel {
  @Field(() => ID) id!: string;
  @Field(() => ID) connectionId!: string;
  @Field() connectionName!: string;
  @Field(() => ID) agentId!: string;
  @Field() principalId!: string;
  @Field() principalKind!: string;
  @Field(() => String, { nullable: true }) principalName!: string | null;
  @Field(() => String, { nullable: true }) clientAddress!: string | null;
  @Field({ description: '"local" (agent listener) or "relay" (through the control plane)' }) ingress!: string;
  @Field({ description: 'ACTIVE or CLOSED' }) status!: string;
  @Field() startedAt!: Date;
  @Field(() => Date, { nullable: true }) endedAt!: Date | null;
  @Field(() => String, { nullable: true }) endReason!: string | null;
  @Field(() => String, { description: 'Bytes received from the client (decimal string, 64-bit).' })
  bytesFromClient!: string;
  @Field(() => String) bytesFromTarget!: string;
  @Field(() => Int) statementCount!: number;
  @Field(() => String, { nullable: true }) policyVersion!: string | null;

  static from(s: SessionRecord): SessionModel {
    return Object.assign(new SessionModel(), {
      ...s,
      bytesFromClient: s.bytesFromClient.toString(),
      bytesFromTarget: s.bytesFromTarget.toString(),
      statementCount: Number(s.statementCount),
      policyVersion: s.policyVersion?.toString() ?? null,
    });
  }
}
