import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { AuditRepository } from './audit.repository.js';
import type { AuditEntry } from './audit.types.js';

/**
 * Records who did what. A failed write is logged at error level and rethrown: callers decide
 * whether the action may proceed without its audit record (security-relevant ones may not).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(entry: AuditEntry, at: Date = new Date()): Promise<void> {
    try {
      await this.repository.append(entry, at);
    } catch (error) {
      this.logger.error({ err: error, kind: entry.kind }, 'audit event could not be stored');
      throw error;
    }
  }

  list(filter: { kind?: string | undefined; agentId?: string | undefined; limit: number }) {
    return this.repository.list(filter);
  }
}
