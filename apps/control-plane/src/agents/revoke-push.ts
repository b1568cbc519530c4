import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import {
  AGENT_CLOSED_CHANNEL,
  REVOKE_CHANNEL,
  type AgentCloseOrder,
  type RevokeOrder,
} from '../policy/policy.events.js';
import { AgentStreams } from './agent-streams.js';

/**
 * Delivers revoke orders, and the end of a disabled or re-enrolled agent's streams (published by
 * any replica), to the agent streams this replica holds.
 */
@Injectable()
export class RevokePush implements OnModuleInit {
  constructor(
    private readonly redis: RedisService,
    private readonly streams: AgentStreams,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.subscribeJson<RevokeOrder>(REVOKE_CHANNEL, (order) => {
      if (typeof order?.agentId !== 'string') {
        this.logger.warn('ignored a malformed revoke message');
        return;
      }
      for (const stream of this.streams.list([order.agentId])) {
        stream.send({
          revoke: { scope: order.scope, id: order.id, reason: order.reason, at: { unixMs: String(Date.now()) } },
        });
      }
    });
    await this.redis.subscribeJson<AgentCloseOrder>(AGENT_CLOSED_CHANNEL, (order) => {
      if (typeof order?.agentId !== 'string' || typeof order.before !== 'number') {
        this.logger.warn('ignored a malformed agent-closed message');
        return;
      }
      this.streams.closeAgent(
        order.agentId,
        { code: 'PERMISSION_DENIED', message: String(order.message) },
        order.before,
      );
    });
  }
}
