import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { GrantModel, RequestAccessInput, ReviewModel } from './dto/review.model.js';
import { ReviewsService } from './reviews.service.js';
import type { ReviewKind, ReviewStatus } from './review.types.js';

const STATUSES: ReviewStatus[] = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED'];
const KINDS: ReviewKind[] = ['ACCESS', 'COMMAND'];

@Resolver(() => ReviewModel)
export class ReviewsResolver {
  constructor(private readonly service: ReviewsService) {}

  @Query(() => [ReviewModel], { description: 'Approvers: requests they may decide. Users: their own.' })
  @Roles('user')
  async reviews(
    @CurrentActor() actor: Actor,
    @Args('status', { type: () => String, nullable: true }) status?: string | null,
    @Args('kind', { type: () => String, nullable: true, description: 'ACCESS or COMMAND' }) kind?: string | null,
  ) {
    const filter = STATUSES.find((s) => s === status);
    return (
      await this.service.list(
        actor,
        filter,
        KINDS.find((k) => k === kind),
      )
    ).map(ReviewModel.from);
  }

  @Mutation(() => ReviewModel, { description: 'Asks for just-in-time access to a connection.' })
  @Roles('user')
  async requestAccess(@CurrentActor() actor: Actor, @Args('input') input: RequestAccessInput) {
    return ReviewModel.from(await this.service.requestAccess(actor, input));
  }

  @Mutation(() => ReviewModel, {
    description:
      'Approves a request. Needs the approver role and membership of one of its approverGroups; never your own request.',
  })
  @Roles('approver')
  async approveReview(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('comment', { type: () => String, nullable: true }) comment?: string | null,
  ) {
    return ReviewModel.from(await this.service.decide(actor, id, true, comment ?? null));
  }

  @Mutation(() => ReviewModel, { description: 'Rejects a request; one rejection settles it.' })
  @Roles('approver')
  async rejectReview(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('comment', { type: () => String, nullable: true }) comment?: string | null,
  ) {
    return ReviewModel.from(await this.service.decide(actor, id, false, comment ?? null));
  }

  @Query(() => [GrantModel], { description: 'Active grants: your own, or anyone for admins and auditors.' })
  @Roles('user')
  async grants(
    @CurrentActor() actor: Actor,
    @Args('userId', { type: () => ID, nullable: true }) userId?: string | null,
  ) {
    return (await this.service.grants(actor, userId ?? undefined)).map(GrantModel.from);
  }

  @Mutation(() => GrantModel, { description: 'Ends a grant now; the sessions it allowed end within a second.' })
  async revokeGrant(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string) {
    return GrantModel.from(await this.service.revokeGrant(actor, id));
  }
}
