import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { APPROVAL_DECISION_CHANNEL, type ApprovalDecisionOrder } from '../policy/policy.events.js';
import { AgentStreams } from './agent-streams.js';

const OUTCOMES = ['OUTCOME_APPROVED', 'OUTCOME_REJECTED', 'OUTCOME_EXPIRED'];

/**
 * Delivers decisions on held commands (published by any replica) to the agent's streams on this
 * replica. An agent not connected anywhere gets the decision when it resends its request after
 * reconnecting: the stored review answers it at once.
 */
@Injectable()
export class ApprovalPush implements OnModuleInit {
  constructor(
    private readonly redis: RedisService,
    private readonly streams: AgentStreams,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.subscribeJson<ApprovalDecisionOrder>(APPROVAL_DECISION_CHANNEL, (value) => {
      const order = (value ?? {}) as ApprovalDecisionOrder;
      if (typeof order.agentId !== 'string' || !OUTCOMES.includes(order.outcome)) {
        this.logger.warn('ignored a malformed approval-decision message');
        return;
      }
      for (const stream of this.streams.list([order.agentId])) {
        stream.send({ approvalDecision: decisionMessage(order) });
        this.logger.info(
          { agentId: order.agentId, reviewId: order.requestId, outcome: order.outcome },
          'approval decision sent to agent',
        );
      }
    });
  }
}

/** The contract's ApprovalDecision: the review id is the agent's request id. */
export function decisionMessage(order: ApprovalDecisionOrder) {
  return {
    requestId: order.requestId,
    reviewId: order.requestId,
    outcome: order.outcome,
    decidedBy: order.decidedBy,
    comment: order.comment,
  };
}
