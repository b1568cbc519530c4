import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueuesService } from '../platform/infra/queues/queues.service.js';

const QUEUE = 'command-review-expiry';

/**
 * At a held command's review expiry a BullMQ delayed job settles the review EXPIRED and tells the
 * agent. The job id is the review id: scheduling again (a resent request) adds nothing, and one
 * replica runs it. Agents also stop waiting at the rule's timeout by themselves.
 */
@Injectable()
export class CommandReviewExpiry implements OnModuleInit {
  private queue!: Queue;
  private handler: ((reviewId: string) => Promise<void>) | undefined;

  constructor(private readonly queues: QueuesService) {}

  onModuleInit(): void {
    this.queue = this.queues.queue(QUEUE);
    this.queues.worker(QUEUE, async (job) => {
      const { reviewId } = job.data as { reviewId: string };
      await this.handler?.(reviewId);
    });
  }

  /** Set by CommandReviewsService: what expiring a review means. */
  onExpiry(handler: (reviewId: string) => Promise<void>): void {
    this.handler = handler;
  }

  async schedule(review: { id: string; expiresAt: Date }): Promise<void> {
    await this.queue.add(
      'expire',
      { reviewId: review.id },
      {
        jobId: review.id,
        delay: Math.max(0, review.expiresAt.getTime() - Date.now()),
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: 1000,
        removeOnFail: 1000,
      },
    );
  }
}
