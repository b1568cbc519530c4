import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { Grant, Review } from '../review.types.js';

@ObjectType('ReviewDecision')
export class ReviewDecisionModel {
  @Field(() => ID) userId!: string;
  @Field({ description: 'The approver: email, else display name, else IdP subject.' }) userName!: string;
  @Field() approved!: boolean;
  @Field(() => String, { nullable: true }) comment!: string | null;
  @Field() createdAt!: Date;
}

@ObjectType('Review', {
  description: 'A request waiting for approvers: just-in-time access (ACCESS) or a held command (COMMAND).',
})
export class ReviewModel {
  @Field(() => ID, { description: 'For COMMAND reviews, the id the agent chose and told the waiting client.' })
  id!: string;
  @Field({ description: 'ACCESS or COMMAND' }) kind!: string;
  @Field({ description: 'PENDING, APPROVED, REJECTED, EXPIRED or CANCELLED' }) status!: string;
  @Field(() => ID, { nullable: true, description: 'The Postern user who asked, when the requester is one.' })
  requesterId!: string | null;
  @Field({ description: 'The requester as agents name principals: a user id, or oidc:<subject> for token users.' })
  requesterPrincipalId!: string;
  @Field(() => String, { nullable: true }) requesterName!: string | null;
  @Field(() => ID) connectionId!: string;
  @Field() connectionName!: string;
  @Field(() => ID, { nullable: true, description: 'COMMAND: the session holding the command.' })
  sessionId!: string | null;
  @Field(() => ID, { nullable: true, description: 'COMMAND: the approval rule that held it.' }) ruleId!: string | null;
  @Field(() => String, { nullable: true }) ruleName!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'COMMAND: the statement held on the wire (as the agent masked it).',
  })
  command!: string | null;
  @Field(() => String, { nullable: true, description: 'ACCESS: why access is needed. COMMAND: why it was refused.' })
  reason!: string | null;
  @Field(() => Int, { nullable: true }) requestedSeconds!: number | null;
  @Field(() => [String]) approverGroups!: string[];
  @Field(() => Int) requiredApprovals!: number;
  @Field() expiresAt!: Date;
  @Field(() => Date, { nullable: true }) decidedAt!: Date | null;
  @Field() createdAt!: Date;
  @Field(() => [ReviewDecisionModel]) decisions!: ReviewDecisionModel[];

  static from(review: Review): ReviewModel {
    return Object.assign(new ReviewModel(), review);
  }
}

@ObjectType('Grant', { description: 'Just-in-time access to a connection until expiresAt.' })
export class GrantModel {
  @Field(() => ID) id!: string;
  @Field(() => ID) userId!: string;
  @Field(() => ID) connectionId!: string;
  @Field(() => [String]) operations!: string[];
  @Field(() => ID, { nullable: true }) reviewId!: string | null;
  @Field() expiresAt!: Date;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field() createdAt!: Date;

  static from(grant: Grant): GrantModel {
    return Object.assign(new GrantModel(), grant);
  }
}

@InputType('RequestAccessInput')
export class RequestAccessInput {
  @Field(() => ID) connectionId!: string;
  @Field() reason!: string;
  @Field(() => Int, { description: 'How long the grant should last, in seconds.' }) durationSeconds!: number;
}
