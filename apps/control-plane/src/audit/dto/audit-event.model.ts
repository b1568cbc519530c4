import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import type { AuditRecord } from '../audit.types.js';

@ObjectType('AuditEvent', { description: 'One audit record: an action in Postern, or a decision an agent took.' })
export class AuditEventModel {
  @Field({ description: 'Position in the append-only log (decimal string, 64-bit).' }) seq!: string;
  @Field(() => ID) id!: string;
  @Field() at!: Date;
  @Field({ description: 'e.g. "review.approved", "statement.blocked", "rows.masked".' }) kind!: string;
  @Field(() => String, { nullable: true }) actorId!: string | null;
  @Field(() => String, { nullable: true, description: 'admin, user, service, agent or system' }) actorKind!:
    string | null;
  @Field(() => String, { nullable: true }) decision!: string | null;
  @Field(() => ID, { nullable: true }) agentId!: string | null;
  @Field(() => ID, { nullable: true }) connectionId!: string | null;
  @Field(() => ID, { nullable: true }) sessionId!: string | null;
  @Field(() => String, { nullable: true }) ruleId!: string | null;
  @Field(() => String, { nullable: true, description: 'The policy version the decision was taken under.' })
  policyVersion!: string | null;
  @Field({ description: 'Kind-specific details: a JSON object, as text.' }) detailsJson!: string;
  @Field(() => String, {
    nullable: true,
    description: "Hex hash chaining this event to the previous one's (null on events older than the chain).",
  })
  hash!: string | null;
  @Field(() => String, { nullable: true, description: 'Hex hash of the previous event (zeros for the first).' })
  prevHash!: string | null;

  static from(record: AuditRecord): AuditEventModel {
    const { details, seq, policyVersion, hash, prevHash, ...rest } = record;
    return Object.assign(new AuditEventModel(), rest, {
      seq: seq.toString(),
      policyVersion: policyVersion?.toString() ?? null,
      detailsJson: JSON.stringify(details),
      hash: hash?.toString('hex') ?? null,
      prevHash: prevHash?.toString('hex') ?? null,
    });
  }
}

@ObjectType('AuditEventPage')
export class AuditEventPageModel {
  @Field(() => [AuditEventModel], { description: 'Newest first.' }) events!: AuditEventModel[];
  @Field(() => String, {
    nullable: true,
    description: 'Pass as `after` for the next (older) page; null when this is the last page.',
  })
  nextCursor!: string | null;
}

@InputType('AuditEventFilter', { description: 'Every field set must match.' })
export class AuditEventFilterInput {
  @Field(() => ID, { nullable: true }) sessionId?: string | null;
  @Field(() => ID, { nullable: true }) connectionId?: string | null;
  @Field(() => ID, { nullable: true }) agentId?: string | null;
  @Field(() => String, { nullable: true }) actorId?: string | null;
  @Field(() => String, { nullable: true, description: 'e.g. "blocked", "held", "approved", "masked".' })
  decision?: string | null;
  @Field(() => String, { nullable: true }) ruleId?: string | null;
  @Field(() => String, { nullable: true, description: '"statement." matches every statement.* kind.' })
  kindPrefix?: string | null;
  @Field(() => Date, { nullable: true, description: 'At or after this instant.' }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Before this instant.' }) to?: Date | null;
}
