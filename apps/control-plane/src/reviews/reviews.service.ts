import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { AccessService } from '../access/access.service.js';
import { auditActor, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { requireUuid } from '../platform/common/validation.js';
import { ConnectionsService } from '../connections/connections.service.js';
import {
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  DomainError,
} from '../platform/errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import { CommandReviewsService } from './command-reviews.service.js';
import { GrantExpiry } from './grant-expiry.js';
import { ReviewEvents } from './review-events.js';
import { ReviewsRepository } from './reviews.repository.js';
import { SeparationOfDuties } from './separation-of-duties.js';
import type { Review, ReviewKind, ReviewStatus } from './review.types.js';

const REVIEW_TTL_MS = 60 * 60_000;
const MAX_GRANT_SECONDS = 12 * 3600;

/** Just-in-time access: requests, decisions with separation of duties, grants that expire. */
@Injectable()
export class ReviewsService {
  constructor(
    private readonly repository: ReviewsRepository,
    private readonly access: AccessService,
    private readonly connections: ConnectionsService,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
    private readonly expiry: GrantExpiry,
    private readonly commands: CommandReviewsService,
    private readonly events: ReviewEvents,
    private readonly duties: SeparationOfDuties,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  async requestAccess(
    actor: Actor,
    input: { connectionId: string; reason: string; durationSeconds: number },
  ): Promise<Review> {
    if (actor.kind !== 'user') throw new PermissionDeniedError('only signed-in users request access');
    const connection = await this.connections.get(requireUuid(input.connectionId, 'connectionId'));
    const reason = input.reason.trim();
    if (reason.length < 3 || reason.length > 1000)
      throw new InvalidArgumentError('reason must be 3 to 1000 characters');
    const rules = (await this.access.rules(connection.id)).filter((rule) =>
      rule.groups.some((g) => actor.groups.includes(g)),
    );
    if (rules.some((rule) => !rule.requiresApproval))
      throw new DomainError('FAILED_PRECONDITION', `you already have access to ${connection.name}`);
    const requestable = rules.filter((rule) => rule.requiresApproval);
    if (requestable.length === 0)
      throw new PermissionDeniedError(`no access rule lets you request access to ${connection.name}`);
    const cap = Math.min(MAX_GRANT_SECONDS, ...requestable.map((rule) => rule.maxSessionSeconds ?? MAX_GRANT_SECONDS));
    const min = this.config.jit.minGrantSeconds;
    if (!Number.isInteger(input.durationSeconds) || input.durationSeconds < min || input.durationSeconds > cap) {
      throw new InvalidArgumentError(`durationSeconds must be between ${min} and ${cap}`);
    }
    const review = await this.repository.createAccessReview({
      requesterId: actor.id,
      connectionId: connection.id,
      reason,
      requestedSeconds: input.durationSeconds,
      approverGroups: [...new Set(requestable.flatMap((rule) => rule.approverGroups))].sort(),
      expiresAt: new Date(Date.now() + REVIEW_TTL_MS),
    });
    await this.audit.record({
      kind: 'review.requested',
      ...auditActor(actor),
      connectionId: connection.id,
      details: { reviewId: review.id, seconds: input.durationSeconds },
    });
    await this.events.created(review);
    return review;
  }

  /**
   * Approves or rejects. The requester can never decide their own request (under any linked
   * account: SeparationOfDuties), one person decides once, and only members of
   * the review's approver groups may decide. Held commands are decided by CommandReviewsService.
   */
  async decide(actor: Actor, reviewId: string, approved: boolean, comment: string | null): Promise<Review> {
    const review = await this.get(reviewId);
    if (review.kind === 'COMMAND') return this.commands.decide(actor, review, approved, comment);
    if (actor.kind !== 'user') throw new PermissionDeniedError('only signed-in users decide reviews');
    await this.duties.refuseRequester(actor, review);
    if (!review.approverGroups.some((g) => actor.groups.includes(g))) {
      throw new PermissionDeniedError(`only members of ${review.approverGroups.join(', ')} may decide this request`);
    }
    await this.duties.refuseSecondDecision(actor, review);
    const operations = (await this.access.rules(review.connectionId))
      .filter((r) => r.requiresApproval)
      .flatMap((r) => r.operations);
    const decided = await this.repository.decide({
      reviewId,
      userId: actor.id,
      approved,
      comment: comment?.slice(0, 1000) ?? null,
      now: new Date(),
      grant: {
        userId: review.requesterPrincipalId,
        connectionId: review.connectionId,
        operations: [...new Set(operations)],
        seconds: review.requestedSeconds ?? 3600,
      },
    });
    if (!decided) throw new DomainError('FAILED_PRECONDITION', 'the request is no longer pending');
    await this.audit.record({
      kind: approved ? 'review.approved' : 'review.rejected',
      actorId: actor.id,
      actorKind: 'user',
      connectionId: review.connectionId,
      details: { reviewId },
    });
    if (decided.grant) {
      await this.expiry.schedule(decided.grant);
      await this.audit.record({
        kind: 'grant.created',
        actorKind: 'system',
        connectionId: review.connectionId,
        details: {
          grantId: decided.grant.id,
          userId: review.requesterPrincipalId,
          expiresAt: decided.grant.expiresAt.toISOString(),
        },
      });
      await this.policy.changed('grant created');
    }
    await this.events.decided(decided.review);
    return decided.review;
  }

  async revokeGrant(actor: Actor, grantId: string) {
    const grant = await this.repository.revokeGrant(requireUuid(grantId, 'grantId'), new Date());
    if (!grant) throw new NotFoundError('active grant', grantId);
    await this.audit.record({
      kind: 'grant.revoked',
      ...auditActor(actor),
      connectionId: grant.connectionId,
      details: { grantId },
    });
    await this.policy.changed('grant revoked');
    return grant;
  }

  async get(id: string): Promise<Review> {
    const review = await this.repository.findById(requireUuid(id, 'id'));
    if (!review) throw new NotFoundError('review', id);
    return review;
  }

  /** Approvers see the requests they may decide; everyone sees their own. */
  async list(actor: Actor, status: ReviewStatus | undefined, kind?: ReviewKind): Promise<Review[]> {
    const isApprover = actor.roles.includes('approver') || actor.roles.includes('admin');
    const reviews = await this.repository.list({
      status,
      kind,
      requesterId: isApprover ? undefined : actor.id,
      limit: 200,
    });
    return isApprover && !actor.roles.includes('admin')
      ? reviews.filter((r) => r.requesterId === actor.id || r.approverGroups.some((g) => actor.groups.includes(g)))
      : reviews;
  }

  grants(actor: Actor, userId?: string) {
    const own = actor.roles.includes('admin') || actor.roles.includes('auditor') ? userId : actor.id;
    return this.repository.activeGrants({ userId: own }, new Date());
  }
}
