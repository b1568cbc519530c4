import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { nameUuid } from '../platform/common/name-uuid.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { LiveEvents } from '../platform/live/live-events.js';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import type { Review, ReviewStatus } from './review.types.js';

/** Live topics (Redis pub/sub, see LiveEvents) of the reviewCreated and reviewDecided subscriptions. */
export const REVIEW_CREATED_TOPIC = 'review-created';
export const REVIEW_DECIDED_TOPIC = 'review-decided';

export const REVIEW_EVENT_TYPES = [
  'review.created',
  'review.approved',
  'review.rejected',
  'review.expired',
  'review.cancelled',
] as const;
export type ReviewEventType = (typeof REVIEW_EVENT_TYPES)[number];

export interface ReviewEvent {
  /** Derived from the type and the review: the same event announced twice has the same id. */
  id: string;
  type: ReviewEventType;
  occurredAt: Date;
  review: Review;
}

export type ReviewEventListener = (event: ReviewEvent) => Promise<void>;

const DECIDED: Partial<Record<ReviewStatus, ReviewEventType>> = {
  APPROVED: 'review.approved',
  REJECTED: 'review.rejected',
  EXPIRED: 'review.expired',
  CANCELLED: 'review.cancelled',
};

/**
 * Announces that a review (ACCESS or COMMAND) was created or settled: to live subscribers on
 * every replica (Redis pub/sub) and to in-process listeners (notifications queue their
 * deliveries). Announcing never fails the review operation itself: problems are logged.
 */
@Injectable()
export class ReviewEvents {
  private readonly listeners: ReviewEventListener[] = [];

  constructor(
    private readonly live: LiveEvents,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  onEvent(listener: ReviewEventListener): void {
    this.listeners.push(listener);
  }

  /** A review now waits for approvers. */
  async created(review: Review): Promise<void> {
    if (review.status !== 'PENDING') return;
    await this.announce('review.created', review, review.createdAt, REVIEW_CREATED_TOPIC);
  }

  /** A review left PENDING: approved, rejected, expired or cancelled. */
  async decided(review: Review): Promise<void> {
    const type = DECIDED[review.status];
    if (!type) return;
    const decidedAt = review.decidedAt ?? new Date();
    this.metrics.approvalWait.observe(
      { kind: review.kind.toLowerCase(), outcome: review.status.toLowerCase() },
      Math.max(0, decidedAt.getTime() - review.createdAt.getTime()) / 1000,
    );
    await this.announce(type, review, review.decidedAt ?? new Date(), REVIEW_DECIDED_TOPIC);
  }

  private async announce(type: ReviewEventType, review: Review, occurredAt: Date, topic: string): Promise<void> {
    const event: ReviewEvent = { id: nameUuid(`${type}/${review.id}`), type, occurredAt, review };
    await Promise.all([
      this.live.publish(topic, JSON.stringify(review)).catch((error: unknown) => {
        this.logger.warn({ err: error, reviewId: review.id, type }, 'review event not published to subscribers');
      }),
      ...this.listeners.map((listener) =>
        listener(event).catch((error: unknown) => {
          this.logger.error({ err: error, reviewId: review.id, type }, 'review event listener failed');
        }),
      ),
    ]);
  }
}

/** A review as published on a live topic (JSON, dates as ISO strings) back to the domain type. */
export function reviewFromJson(message: string): Review {
  const raw = JSON.parse(message) as Review & Record<string, unknown>;
  if (typeof raw.id !== 'string' || typeof raw.status !== 'string' || !Array.isArray(raw.decisions)) {
    throw new Error('not a review');
  }
  const date = (value: unknown) => new Date(value as string);
  return {
    ...raw,
    expiresAt: date(raw.expiresAt),
    createdAt: date(raw.createdAt),
    decidedAt: raw.decidedAt === null ? null : date(raw.decidedAt),
    decisions: raw.decisions.map((d) => ({ ...d, createdAt: date(d.createdAt) })),
  };
}
