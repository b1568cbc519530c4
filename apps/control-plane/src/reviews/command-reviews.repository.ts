import { Injectable } from '@nestjs/common';
import { UUID } from '../platform/common/validation.js';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { REVIEW_INCLUDE as include, toReview } from './review-rows.js';
import type { CommandApprovalRule, CommandSession, Review, ReviewStatus } from './review.types.js';

export interface NewCommandReview {
  id: string;
  session: CommandSession;
  rule: { id: string; name: string; approverGroups: string[]; requiredApprovals: number } | null;
  command: string;
  requesterName: string | null;
  status: 'PENDING' | 'REJECTED';
  reason: string | null;
  expiresAt: Date;
}

/** Held commands: their rules and sessions, and their reviews' lifecycle outside decisions. */
@Injectable()
export class CommandReviewsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async approvalRule(id: string): Promise<CommandApprovalRule | null> {
    const row = await this.prisma.policyRule.findFirst({ where: { id, kind: 'approval' } });
    if (!row) return null;
    const spec = row.spec as { approverGroups: string[]; requiredApprovals: number; timeoutSeconds: number };
    return {
      id: row.id,
      name: row.name,
      enabled: row.enabled,
      connectionIds: row.connectionIds,
      approverGroups: spec.approverGroups,
      requiredApprovals: spec.requiredApprovals,
      timeoutSeconds: spec.timeoutSeconds,
    };
  }

  async session(id: string): Promise<CommandSession | null> {
    return this.prisma.session.findUnique({
      where: { id },
      select: {
        id: true,
        agentId: true,
        connectionId: true,
        principalId: true,
        principalKind: true,
        principalName: true,
        status: true,
      },
    });
  }

  /**
   * Stores the review under the agent's request id, once: a resent request finds the first one.
   * Returns the stored review and whether this call created it.
   */
  async create(input: NewCommandReview, now: Date): Promise<{ review: Review; created: boolean }> {
    const principalId = input.session.principalId;
    const user = UUID.test(principalId)
      ? await this.prisma.user.findUnique({ where: { id: principalId }, select: { id: true } })
      : null;
    const inserted = await this.prisma.review.createMany({
      data: [
        {
          id: input.id,
          kind: 'COMMAND',
          status: input.status,
          requesterId: user?.id ?? null,
          requesterPrincipalId: principalId,
          requesterName: input.requesterName,
          connectionId: input.session.connectionId,
          sessionId: input.session.id,
          ruleId: input.rule?.id ?? null,
          ruleName: input.rule?.name ?? null,
          command: input.command,
          reason: input.reason,
          approverGroups: input.rule?.approverGroups ?? [],
          requiredApprovals: input.rule?.requiredApprovals ?? 1,
          expiresAt: input.expiresAt,
          decidedAt: input.status === 'PENDING' ? null : now,
        },
      ],
      skipDuplicates: true,
    });
    const review = await this.findById(input.id);
    return { review: review!, created: inserted.count === 1 };
  }

  async findById(id: string): Promise<Review | null> {
    const row = await this.prisma.review.findUnique({ where: { id }, include });
    return row ? toReview(row) : null;
  }

  /** The IdP subject of a Postern user (null for unknown ids). */
  /** Settles a still-pending COMMAND review with `status`; null when it was no longer pending. */
  async settle(id: string, status: Extract<ReviewStatus, 'EXPIRED' | 'CANCELLED'>, now: Date): Promise<Review | null> {
    const updated = await this.prisma.review.updateMany({
      where: { id, kind: 'COMMAND', status: 'PENDING' },
      data: { status, decidedAt: now },
    });
    return updated.count === 1 ? this.findById(id) : null;
  }

  /** Pending COMMAND reviews of a session (to cancel when the session ends). */
  async pendingOfSession(sessionId: string): Promise<string[]> {
    const rows = await this.prisma.review.findMany({
      where: { sessionId, kind: 'COMMAND', status: 'PENDING' },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }
}
