import { Field, Int, ObjectType } from '@nestjs/graphql';
import type { AuditProblem } from '../audit-chain-verification.js';
import type { AuditVerification } from '../audit-verifier.js';

@ObjectType('AuditProblem')
export class AuditProblemModel {
  @Field({ description: 'The first seq concerned (decimal string).' }) seq!: string;
  @Field({ description: 'modified, deleted or reordered' }) problem!: string;
  @Field() detail!: string;

  static from(p: AuditProblem): AuditProblemModel {
    return Object.assign(new AuditProblemModel(), { ...p, seq: p.seq.toString() });
  }
}

@ObjectType('AuditVerification', {
  description: "The audit log's hash chain recomputed over a range of seqs, and what is wrong with which seq.",
})
export class AuditVerificationModel {
  @Field({ description: 'No problem found in the events checked.' }) ok!: boolean;
  @Field({ description: 'The range asked for (default: the whole log as it stood).' }) fromSeq!: string;
  @Field() toSeq!: string;
  @Field(() => Int, { description: 'Events read.' }) checked!: number;
  @Field(() => Int, { description: 'Events older than the chain (no hash): not verifiable.' }) legacy!: number;
  @Field(() => String, { nullable: true }) firstSeq!: string | null;
  @Field(() => String, { nullable: true, description: 'The last event checked.' }) lastSeq!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Hex hash of the last event checked: compare it with one kept outside Postern.',
  })
  headHash!: string | null;
  @Field(() => String, { nullable: true, description: 'The first seq with a problem.' }) firstBadSeq!: string | null;
  @Field(() => [AuditProblemModel], { description: 'The first 100 problems, by seq.' })
  problems!: AuditProblemModel[];
  @Field(() => Int) problemCount!: number;
  @Field(() => String, {
    nullable: true,
    description: 'Set when the range holds more events than one call verifies: call again with fromSeq = nextSeq.',
  })
  nextSeq!: string | null;

  static from(v: AuditVerification): AuditVerificationModel {
    const text = (n: bigint | null) => n?.toString() ?? null;
    return Object.assign(new AuditVerificationModel(), {
      ...v,
      fromSeq: v.fromSeq.toString(),
      toSeq: v.toSeq.toString(),
      firstSeq: text(v.firstSeq),
      lastSeq: text(v.lastSeq),
      firstBadSeq: text(v.firstBadSeq),
      nextSeq: text(v.nextSeq),
      problems: v.problems.map(AuditProblemModel.from),
    });
  }
}
