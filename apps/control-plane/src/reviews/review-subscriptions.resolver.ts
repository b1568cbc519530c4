import { Resolver, Subscription } from '@nestjs/graphql';
import { CurrentActor, hasRole, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { LiveEvents } from '../platform/live/live-events.js';
import type { LiveQueue } from '../platform/live/live-queue.js';
import { liveValue } from '../platform/live/live-value.js';
import { ReviewModel } from './dto/review.model.js';
import { REVIEW_CREATED_TOPIC, REVIEW_DECIDED_TOPIC, reviewFromJson } from './review-events.js';
import type { Review } from './review.types.js';

/**
 * Live reviews over GraphQL subscriptions (graphql-ws), from every replica. Admins and auditors
 * see every review; approvers those they may decide (a shared approver group) and their own.
 */
@Resolver()
export class ReviewSubscriptionsResolver {
  constructor(private readonly live: LiveEvents) {}

  @Subscription(() => ReviewModel, {
    description: 'Reviews (ACCESS and COMMAND) as they start waiting for approvers.',
    resolve: liveValue(ReviewModel.from),
  })
  @Roles('approver', 'auditor')
  reviewCreated(@CurrentActor() actor: Actor): Promise<LiveQueue<Review>> {
    return this.listen(REVIEW_CREATED_TOPIC, actor);
  }

  @Subscription(() => ReviewModel, {
    description: 'Reviews as they are settled: approved, rejected, expired or cancelled (the updated review).',
    resolve: liveValue(ReviewModel.from),
  })
  @Roles('approver', 'auditor')
  reviewDecided(@CurrentActor() actor: Actor): Promise<LiveQueue<Review>> {
    return this.listen(REVIEW_DECIDED_TOPIC, actor);
  }

  private listen(topic: string, actor: Actor): Promise<LiveQueue<Review>> {
    return this.live.listen(topic, {
      decode: (message) => {
        const review = reviewFromJson(message);
        return { items: visibleTo(actor, review) ? [review] : [] };
      },
    });
  }
}

export function visibleTo(actor: Actor, review: Review): boolean {
  if (hasRole(actor, ['auditor'])) return true;
  return (
    review.requesterId === actor.id ||
    (actor.roles.includes('approver') && review.approverGroups.some((g) => actor.groups.includes(g)))
  );
}
