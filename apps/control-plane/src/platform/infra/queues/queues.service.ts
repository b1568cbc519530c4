import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../../config/config.js';
import { LOGGER } from '../logging/nest-logger.js';

/**
 * BullMQ on the shared Redis. Every replica runs a worker for each queue; BullMQ hands each job
 * to exactly one of them, and job schedulers (repeatable jobs) are keyed so that replicas
 * registering the same schedule create it once.
 */
@Injectable()
export class QueuesService implements OnApplicationShutdown {
  private readonly queues: Queue[] = [];
  private readonly workers: Worker[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Jobs per queue and state (waiting, active, delayed, failed), for the queue-depth metric. */
  async depths(): Promise<{ queue: string; state: string; count: number }[]> {
    const depths = await Promise.all(
      this.queues.map(async (queue) => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        return Object.entries(counts).map(([state, count]) => ({ queue: queue.name, state, count }));
      }),
    );
    return depths.flat();
  }

  queue(name: string): Queue {
    const queue = new Queue(name, { connection: this.connection(), prefix: this.config.redis.prefix });
    queue.on('error', (error) => this.logger.warn({ err: error, queue: name }, 'queue connection error'));
    this.queues.push(queue);
    return queue;
  }

  worker(name: string, process: (job: Job) => Promise<unknown>, concurrency = 1): Worker {
    const worker = new Worker(name, process, {
      connection: { ...this.connection(), maxRetriesPerRequest: null },
      prefix: this.config.redis.prefix,
      concurrency,
    });
    worker.on('error', (error) => this.logger.warn({ err: error, queue: name }, 'worker connection error'));
    worker.on('failed', (job, error) => this.logger.error({ err: error, queue: name, jobId: job?.id }, 'job failed'));
    this.workers.push(worker);
    return worker;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled(this.queues.map((q) => q.close()));
  }

  private connection() {
    return { url: this.config.redis.url };
  }
}
