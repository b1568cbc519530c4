import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { POLICY_CHANGED_CHANNEL, type PolicyChanged } from '../policy/policy.events.js';
import { AgentStreams } from './agent-streams.js';

/**
 * Every replica listens for policy changes and pushes fresh snapshots to the agents whose
 * streams it holds, so a change made through any replica reaches every agent.
 */
@Injectable()
export class PolicyPush implements OnModuleInit {
  constructor(
    private readonly redis: RedisService,
    private readonly streams: AgentStreams,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.subscribeJson<PolicyChanged>(POLICY_CHANGED_CHANNEL, (change) => {
      if (change === null) {
        this.logger.warn('ignored a malformed policy-changed message');
        return;
      }
      for (const stream of this.streams.list(Array.isArray(change.agentIds) ? change.agentIds : [])) {
        stream.pushPolicy().catch((error: unknown) => {
          this.logger.error(
            { err: error, agentId: stream.agentId },
            'could not push policy; the agent keeps its previous snapshot',
          );
        });
      }
    });
  }
}
