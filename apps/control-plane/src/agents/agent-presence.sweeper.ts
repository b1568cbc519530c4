import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { QueuesService } from '../platform/infra/queues/queues.service.js';
import { AgentsService } from './agents.service.js';

const QUEUE = 'agent-presence';
const SCHEDULER_ID = 'sweep-stale-agents';

/**
 * A stream that ends normally marks its agent offline at once. This job covers the rest: a
 * control-plane replica that died holding streams. It runs on one replica at a time (BullMQ),
 * every half heartbeat timeout.
 */
@Injectable()
export class AgentPresenceSweeper implements OnModuleInit {
  constructor(
    private readonly queues: QueuesService,
    private readonly agents: AgentsService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const queue = this.queues.queue(QUEUE);
    this.queues.worker(QUEUE, async () => ({ markedOffline: (await this.agents.sweepStale()).length }));
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: Math.max(1000, Math.floor(this.config.agents.heartbeatTimeoutMs / 2)) },
      { name: SCHEDULER_ID, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    this.logger.debug({ queue: QUEUE }, 'agent presence sweeper scheduled');
  }
}
