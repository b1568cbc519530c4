import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { REVIEW_INCLUDE as include, toReview } from './review-rows.js';
import type { Grant, Review, ReviewKind, ReviewStatus } from './review.types.js';

@Injectable()
export class ReviewsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async createAccessReview(input: {
    requesterId: string;
    connectionId: string;
    reason: string;
    requestedSeconds: number;
    approverGroups: string[];
    expiresAt: Date;
  }): Promise<Review> {
    return toReview(
      await this.prisma.review.create({
        data: { kind: 'ACCESS', requesterPrincipalId: input.requesterId, ...input },
        include,
      }),
    );
  }

  async findById(id: string): Promise<Review | null> {
    const row = await this.prisma.review.findUnique({ where: { id }, include });
    return row ? toReview(row) : null;
  }

  async list(filter: {
    status?: ReviewStatus | undefined;
    kind?: ReviewKind | undefined;
    requesterId?: string | undefined;
    limit: number;
  }): Promise<Review[]> {
    const rows = await this.prisma.review.findMany({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.requesterId ? { requesterId: filter.requesterId } : {}),
      },
      include,
      orderBy: { createdAt: 'desc' },
      take: filter.limit,
    });
    return rows.map(toReview);
  }

  /**
   * Records a decision and, when it settles the review, its outcome — atomically, and only while
   * the review is still pending (two approvers deciding at once settle it once).
   */
  async decide(input: {
    reviewId: string;
    userId: string;
    approved: boolean;
    comment: string | null;
    now: Date;
    grant: { userId: string; connectionId: string; operations: string[]; seconds: number } | null;
  }): Promise<{ review: Review; grant: Grant | null } | null> {
    return this.prisma.$transaction(async (tx) => {
      const pending = await tx.review.findFirst({
        where: { id: input.reviewId, status: 'PENDING', expiresAt: { gt: input.now } },
        include,
      });
      if (!pending) return null;
      await tx.reviewDecision.create({
        data: { reviewId: input.reviewId, userId: input.userId, approved: input.approved, comment: input.comment },
      });
      const approvals = pending.decisions.filter((d) => d.approved).length + (input.approved ? 1 : 0);
      const status: ReviewStatus = !input.approved
        ? 'REJECTED'
        : approvals >= pending.requiredApprovals
          ? 'APPROVED'
          : 'PENDING';
      const settled = await tx.review.updateMany({
        where: { id: input.reviewId, status: 'PENDING' },
        data: status === 'PENDING' ? {} : { status, decidedAt: input.now },
      });
      if (settled.count !== 1) return null;
      let grant: Grant | null = null;
      if (status === 'APPROVED' && input.grant) {
        grant = await tx.grant.create({
          data: {
            userId: input.grant.userId,
            connectionId: input.grant.connectionId,
            operations: input.grant.operations,
            reviewId: input.reviewId,
            expiresAt: new Date(input.now.getTime() + input.grant.seconds * 1000),
          },
        });
      }
      return { review: toReview((await tx.review.findUnique({ where: { id: input.reviewId }, include }))!), grant };
    });
  }

  async revokeGrant(id: string, now: Date): Promise<Grant | null> {
    const updated = await this.prisma.grant.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
    return updated.count === 1 ? this.prisma.grant.findUnique({ where: { id } }) : null;
  }

  async findGrant(id: string): Promise<Grant | null> {
    return this.prisma.grant.findUnique({ where: { id } });
  }

  async activeGrants(
    filter: { userId?: string | undefined; connectionId?: string | undefined },
    now: Date,
  ): Promise<Grant[]> {
    return this.prisma.grant.findMany({
      where: {
        revokedAt: null,
        expiresAt: { gt: now },
        ...(filter.userId ? { userId: filter.userId } : {}),
        ...(filter.connectionId ? { connectionId: filter.connectionId } : {}),
      },
      orderBy: { expiresAt: 'asc' },
    });
  }
}
