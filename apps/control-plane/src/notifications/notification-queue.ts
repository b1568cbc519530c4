import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { QueuesService } from '../platform/infra/queues/queues.service.js';

const QUEUE = 'review-notifications';
/** Deliveries sent at once per replica (one slow receiver must not hold back the others). */
const CONCURRENCY = 8;

export interface DeliveryJob {
  deliveryId: string;
  /** 1 for the first attempt of this job. */
  attempt: number;
  /** No attempt follows if this one fails: the delivery is then dead-lettered. */
  final: boolean;
}

/**
 * The BullMQ queue of review notifications: one job per delivery, retried with exponential
 * backoff (POSTERN_NOTIFICATIONS_ATTEMPTS, POSTERN_NOTIFICATIONS_BACKOFF_MS). The job id is the
 * delivery id (plus `-retry-<n>` for an admin's retry), so queueing a delivery twice — a replica
 * repeating an announcement — adds one job; any replica's worker runs it once.
 */
@Injectable()
export class NotificationQueue implements OnModuleInit {
  private queue!: Queue;
  private handler: ((job: DeliveryJob) => Promise<void>) | undefined;

  constructor(
    private readonly queues: QueuesService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  onModuleInit(): void {
    this.queue = this.queues.queue(QUEUE);
    this.queues.worker(
      QUEUE,
      async (job) => {
        const { deliveryId } = job.data as { deliveryId: string };
        const attempts = job.opts.attempts ?? 1;
        await this.handler?.({ deliveryId, attempt: job.attemptsMade + 1, final: job.attemptsMade + 1 >= attempts });
      },
      CONCURRENCY,
    );
  }

  /** Set by NotificationDeliveriesService: what running a job means. */
  onDeliver(handler: (job: DeliveryJob) => Promise<void>): void {
    this.handler = handler;
  }

  async enqueue(deliveryIds: string[], retry = 0): Promise<void> {
    const { attempts, backoffMs } = this.config.notifications;
    await this.queue.addBulk(
      deliveryIds.map((deliveryId) => ({
        name: 'deliver',
        data: { deliveryId },
        opts: {
          jobId: retry === 0 ? deliveryId : `${deliveryId}-retry-${retry}`,
          attempts,
          backoff: { type: 'exponential', delay: backoffMs },
          removeOnComplete: { age: 86_400, count: 10_000 },
          removeOnFail: { age: 7 * 86_400, count: 10_000 },
        },
      })),
    );
  }
}
