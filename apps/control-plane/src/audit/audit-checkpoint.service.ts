import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '@postern/logging';
import { auditActor, type Actor } from '../platform/auth/actor.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { QueuesService } from '../platform/infra/queues/queues.service.js';
import { checkpointSigningKey, publicKeyPem } from './audit-checkpoint-key.js';
import { keyIdOf, publishedCheckpoint, signCheckpoint, type PublishedCheckpoint } from './audit-checkpoint.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

const QUEUE = 'audit-checkpoints';
const SCHEDULER_ID = 'publish-audit-checkpoint';
/** The message of the log line carrying a checkpoint (what operators filter their logs on). */
export const CHECKPOINT_LOG_MESSAGE = 'audit checkpoint';

/**
 * Publishes signed checkpoints of the audit chain's head to the logs, one JSON line each
 * (`{"msg":"audit checkpoint","checkpoint":{seq,hash,at},"signature","keyId",...}`): every
 * POSTERN_AUDIT_CHECKPOINT_INTERVAL_SECONDS on one replica at a time (a BullMQ job scheduler), and
 * on demand. Logs leave the database owner's reach once shipped; `verify-audit --checkpoints`
 * compares the chain with them.
 */
@Injectable()
export class AuditCheckpointService implements OnModuleInit {
  private readonly key: KeyObject;
  readonly keyId: string;
  readonly publicKeyPem: string;

  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
    private readonly queues: QueuesService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.key = checkpointSigningKey(config);
    this.keyId = keyIdOf(this.key);
    this.publicKeyPem = publicKeyPem(this.key);
  }

  async onModuleInit(): Promise<void> {
    const every = this.config.auditCheckpoints.intervalSeconds * 1000;
    const queue = this.queues.queue(QUEUE);
    if (every === 0) {
      await queue.removeJobScheduler(SCHEDULER_ID);
      return;
    }
    this.queues.worker(QUEUE, async () => (await this.publish())?.checkpoint ?? null);
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every },
      { name: SCHEDULER_ID, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    this.logger.info({ keyId: this.keyId, everySeconds: every / 1000 }, 'audit checkpoints scheduled');
  }

  /** Signs the chain's head as it is now and logs it; null when nothing is chained yet. */
  async publish(): Promise<PublishedCheckpoint | null> {
    const head = await this.repository.chainHead();
    if (!head) return null;
    const published = publishedCheckpoint(signCheckpoint({ ...head, at: new Date() }, this.key));
    this.logger.info(published, CHECKPOINT_LOG_MESSAGE);
    return published;
  }

  /** On demand, for an auditor: published like a periodic one, and audited. */
  async publishFor(actor: Actor): Promise<PublishedCheckpoint | null> {
    const published = await this.publish();
    await this.audit.record({
      kind: 'audit.checkpoint_published',
      ...auditActor(actor),
      details: { seq: published?.checkpoint.seq ?? null, hash: published?.checkpoint.hash ?? null },
    });
    return published;
  }
}
