import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { QueuesService } from '../platform/infra/queues/queues.service.js';
import { RecordingsService } from './recordings.service.js';

const QUEUE = 'recording-retention';
const SCHEDULER_ID = 'purge-expired-recordings';

/**
 * Deletes recordings older than POSTERN_RECORDING_RETENTION_DAYS. A BullMQ job scheduler keyed by
 * one id: replicas registering it create it once, and each run goes to one replica's worker.
 * With retention 0 (keep forever) the schedule is removed.
 */
@Injectable()
export class RecordingRetentionSweeper implements OnModuleInit {
  constructor(
    private readonly queues: QueuesService,
    private readonly recordings: RecordingsService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const queue = this.queues.queue(QUEUE);
    const { retentionDays, retentionSweepSeconds } = this.config.recordings;
    if (retentionDays === 0) {
      await queue.removeJobScheduler(SCHEDULER_ID);
      this.logger.debug({ queue: QUEUE }, 'recording retention off: recordings are kept forever');
      return;
    }
    this.queues.worker(QUEUE, async () => {
      const purged = await this.recordings.purgeExpired();
      return { ...purged, bytes: purged.bytes.toString() };
    });
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: retentionSweepSeconds * 1000 },
      { name: SCHEDULER_ID, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    this.logger.debug({ queue: QUEUE, retentionDays }, 'recording retention scheduled');
  }
}
