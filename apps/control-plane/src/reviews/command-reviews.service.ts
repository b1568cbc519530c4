import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import type { ApprovalRequest__Output } from '@postern/proto';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { UUID, storableText } from '../platform/common/validation.js';
import { DomainError, InvalidArgumentError, PermissionDeniedError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { APPROVAL_DECISION_CHANNEL, type ApprovalDecisionOrder } from '../policy/policy.events.js';
import { CommandReviewExpiry } from './command-review-expiry.js';
import { CommandReviewsRepository } from './command-reviews.repository.js';
import { ReviewEvents } from './review-events.js';
import { ReviewsRepository } from './reviews.repository.js';
import type { Review } from './review.types.js';
import { SeparationOfDuties } from './separation-of-duties.js';

/** Longest held command stored for review; a longer one is refused (nobody can review it whole). */
export const MAX_COMMAND_BYTES = 16 * 1024;
const SYSTEM = 'postern';

/**
 * Held commands: an agent asks (ApprovalRequest), approvers decide in GraphQL, the decision goes
 * back to the agent through Redis to whichever replica holds its stream. Who decides, how many
 * must approve and how long the command waits come from the approval rule in the database, not
 * from the agent.
 */
@Injectable()
export class CommandReviewsService {
  constructor(
    private readonly repository: CommandReviewsRepository,
    private readonly reviews: ReviewsRepository,
    private readonly expiry: CommandReviewExpiry,
    private readonly audit: AuditService,
    private readonly redis: RedisService,
    private readonly events: ReviewEvents,
    private readonly duties: SeparationOfDuties,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    expiry.onExpiry((reviewId) => this.expire(reviewId));
  }

  /**
   * Handles an agent's ApprovalRequest. Returns a decision to send back at once (the request is
   * refused, or was already decided and is being resent), or null while the review is pending.
   */
  async requested(agentId: string, request: ApprovalRequest__Output): Promise<ApprovalDecisionOrder | null> {
    if (!UUID.test(request.requestId)) throw new InvalidArgumentError('approval request: request_id must be a UUID');
    const id = request.requestId.toLowerCase();
    const refuse = async (reason: string): Promise<ApprovalDecisionOrder> => {
      this.logger.warn({ agentId, reviewId: id, reason }, 'approval request refused');
      await this.audit.record({
        kind: 'command_review.refused',
        actorKind: 'agent',
        actorId: agentId,
        agentId,
        decision: 'rejected',
        details: { reviewId: id, reason, sessionId: storableText(request.sessionId, 64) || null },
      });
      return { agentId, requestId: id, outcome: 'OUTCOME_REJECTED', decidedBy: SYSTEM, comment: reason };
    };

    const existing = await this.repository.findById(id);
    if (existing) return this.resent(agentId, existing);
    if (!UUID.test(request.sessionId) || !UUID.test(request.ruleId)) {
      return refuse('session_id and rule_id must be UUIDs');
    }
    const session = await this.repository.session(request.sessionId.toLowerCase());
    if (!session || session.agentId !== agentId) return refuse('the session is unknown to the control plane');
    if (session.status !== 'ACTIVE') return refuse('the session has ended');
    if (request.connectionId.toLowerCase() !== session.connectionId) {
      return refuse("connection_id is not the session's connection");
    }
    if (request.requester?.id !== session.principalId) return refuse("requester is not the session's principal");
    const command = request.command;
    if (command.trim() === '' || command.includes('\0')) return refuse('the command is empty or contains NUL');
    if (Buffer.byteLength(command, 'utf8') > MAX_COMMAND_BYTES) {
      return refuse(`the command is longer than ${MAX_COMMAND_BYTES / 1024} KiB and cannot be reviewed`);
    }

    const rule = await this.repository.approvalRule(request.ruleId.toLowerCase());
    const applies =
      rule?.enabled === true && (rule.connectionIds.length === 0 || rule.connectionIds.includes(session.connectionId));
    const now = new Date();
    const reason = applies ? null : 'the approval rule no longer exists, is disabled or no longer applies here';
    const { review, created } = await this.repository.create(
      {
        id,
        session,
        rule: applies ? rule : null,
        command,
        requesterName: session.principalName ?? (storableText(request.requester.displayName, 255) || null),
        status: applies ? 'PENDING' : 'REJECTED',
        reason,
        expiresAt: new Date(now.getTime() + (applies ? rule.timeoutSeconds : 0) * 1000),
      },
      now,
    );
    if (!created) return this.resent(agentId, review);
    await this.audit.record({
      kind: applies ? 'command_review.requested' : 'command_review.refused',
      actorId: session.principalId,
      actorKind: session.principalKind === 'service' ? 'service' : 'user',
      agentId,
      connectionId: session.connectionId,
      sessionId: session.id,
      ruleId: rule?.id ?? request.ruleId.slice(0, 64),
      decision: applies ? 'held' : 'rejected',
      details: {
        reviewId: id,
        expiresAt: review.expiresAt.toISOString(),
        reason,
        policyVersion: request.policyVersion,
      },
    });
    if (!applies) return { agentId, requestId: id, outcome: 'OUTCOME_REJECTED', decidedBy: SYSTEM, comment: reason! };
    await this.expiry.schedule(review);
    await this.events.created(review);
    return null;
  }

  /** A request the control plane already has: answer a settled one again, keep waiting otherwise. */
  private async resent(agentId: string, review: Review): Promise<ApprovalDecisionOrder | null> {
    const session = review.sessionId ? await this.repository.session(review.sessionId) : null;
    if (review.kind !== 'COMMAND' || session?.agentId !== agentId) {
      throw new PermissionDeniedError('approval request: the id names a review of another agent');
    }
    if (review.status === 'PENDING') {
      await this.expiry.schedule(review);
      return null;
    }
    return this.orderFor(agentId, review);
  }

  /**
   * An approver's decision. Separation of duties: the requester — under any account linked to
   * them (SeparationOfDuties) — never decides their own command, one person decides once, and only
   * members of the rule's approver groups decide.
   */
  async decide(actor: Actor, review: Review, approved: boolean, comment: string | null): Promise<Review> {
    if (actor.kind !== 'user') throw new PermissionDeniedError('only signed-in users decide reviews');
    await this.duties.refuseRequester(actor, review);
    if (!review.approverGroups.some((g) => actor.groups.includes(g))) {
      throw new PermissionDeniedError(`only members of ${review.approverGroups.join(', ')} may decide this request`);
    }
    await this.duties.refuseSecondDecision(actor, review);
    const decided = await this.reviews.decide({
      reviewId: review.id,
      userId: actor.id,
      approved,
      comment: comment?.slice(0, 1000) ?? null,
      now: new Date(),
      grant: null,
    });
    if (!decided) throw new DomainError('FAILED_PRECONDITION', 'the request is no longer pending');
    const settled = decided.review;
    await this.audit.record({
      kind: approved
        ? settled.status === 'APPROVED'
          ? 'command_review.approved'
          : 'command_review.approval_recorded'
        : 'command_review.rejected',
      actorId: actor.id,
      actorKind: 'user',
      connectionId: settled.connectionId,
      sessionId: settled.sessionId,
      ruleId: settled.ruleId,
      decision: approved ? 'approved' : 'rejected',
      details: {
        reviewId: settled.id,
        approvals: settled.decisions.filter((d) => d.approved).length,
        requiredApprovals: settled.requiredApprovals,
      },
    });
    if (settled.status !== 'PENDING') await this.deliver(settled);
    await this.events.decided(settled);
    return settled;
  }

  /** The BullMQ expiry job: a review still pending at its expiry is settled EXPIRED. */
  async expire(reviewId: string): Promise<void> {
    const review = await this.repository.settle(reviewId, 'EXPIRED', new Date());
    if (!review) return;
    await this.audit.record({
      kind: 'command_review.expired',
      actorKind: 'system',
      connectionId: review.connectionId,
      sessionId: review.sessionId,
      ruleId: review.ruleId,
      decision: 'expired',
      details: { reviewId },
    });
    await this.deliver(review);
    await this.events.decided(review);
  }

  /** A session ended: its pending reviews are cancelled (there is nothing left to resume). */
  async sessionEnded(sessionId: string): Promise<void> {
    if (!UUID.test(sessionId)) return;
    for (const id of await this.repository.pendingOfSession(sessionId.toLowerCase())) {
      const review = await this.repository.settle(id, 'CANCELLED', new Date());
      if (!review) continue;
      await this.audit.record({
        kind: 'command_review.cancelled',
        actorKind: 'system',
        connectionId: review.connectionId,
        sessionId,
        ruleId: review.ruleId,
        details: { reviewId: id, reason: 'session ended' },
      });
      await this.events.decided(review);
    }
  }

  /** Publishes a settled review's outcome; the replica holding the agent's stream sends it. */
  private async deliver(review: Review): Promise<void> {
    const session = review.sessionId ? await this.repository.session(review.sessionId) : null;
    if (!session) {
      this.logger.warn({ reviewId: review.id }, 'decided review has no session; nothing to deliver');
      return;
    }
    const order = this.orderFor(session.agentId, review);
    if (!order) return;
    await this.redis.publish(APPROVAL_DECISION_CHANNEL, JSON.stringify(order));
    this.logger.info({ reviewId: review.id, agentId: session.agentId, outcome: order.outcome }, 'approval decided');
  }

  private orderFor(agentId: string, review: Review): ApprovalDecisionOrder | null {
    const approvals = review.decisions.filter((d) => d.approved);
    const rejection = review.decisions.find((d) => !d.approved);
    switch (review.status) {
      case 'APPROVED':
        return {
          agentId,
          requestId: review.id,
          outcome: 'OUTCOME_APPROVED',
          decidedBy: approvals.map((d) => d.userName).join(', '),
          comment: approvals.at(-1)?.comment ?? '',
        };
      case 'REJECTED':
        return {
          agentId,
          requestId: review.id,
          outcome: 'OUTCOME_REJECTED',
          decidedBy: rejection?.userName ?? SYSTEM,
          comment: rejection ? (rejection.comment ?? '') : (review.reason ?? ''),
        };
      case 'EXPIRED':
      case 'CANCELLED':
        return {
          agentId,
          requestId: review.id,
          outcome: 'OUTCOME_EXPIRED',
          decidedBy: SYSTEM,
          comment: 'no decision in time',
        };
      default:
        return null;
    }
  }
}
