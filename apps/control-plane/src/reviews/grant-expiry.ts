import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Logger } from '@postern/logging';
import { AuditService } from '../audit/audit.service.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { QueuesService } from '../platform/infra/queues/queues.service.js';
import { PolicyService } from '../policy/policy.service.js';

const QUEUE = 'grant-expiry';

/**
 * At a grant's expiry a BullMQ delayed job (run once, by one replica) recompiles policy without it,
 * so agents end the sessions it allowed. Agents also enforce the expiry themselves (it is in their
 * snapshot), so a late job never extends access.
 */
@Injectable()
export class GrantExpiry implements OnModuleInit {
  private queue!: Queue;

  constructor(
    private readonly queues: QueuesService,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.queue = this.queues.queue(QUEUE);
    this.queues.worker(QUEUE, async (job) => {
      const { grantId, userId, connectionId } = job.data as { grantId: string; userId: string; connectionId: string };
      await this.policy.changed('grant expired');
      await this.audit.record({
        kind: 'grant.expired',
        actorKind: 'system',
        connectionId,
        details: { grantId, userId },
      });
      this.logger.info({ grantId, userId }, 'grant expired');
    });
  }

  async schedule(grant: { id: string; userId: string; connectionId: string; expiresAt: Date }): Promise<void> {
    await this.queue.add(
      'expire',
      { grantId: grant.id, userId: grant.userId, connectionId: grant.connectionId },
      {
        jobId: grant.id,
        delay: Math.max(0, grant.expiresAt.getTime() - Date.now()),
        removeOnComplete: 1000,
        removeOnFail: 1000,
      },
    );
  }
}
