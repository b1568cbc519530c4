import type { Prisma } from '../generated/prisma/client.js';
import type { Review } from './review.types.js';

/** What every review read includes: its connection's name and its decisions with their deciders. */
export const REVIEW_INCLUDE = {
  connection: { select: { name: true } },
  decisions: {
    orderBy: { createdAt: 'asc' },
    include: { user: { select: { email: true, displayName: true, subject: true } } },
  },
} as const;

export type ReviewRow = Prisma.ReviewGetPayload<{ include: typeof REVIEW_INCLUDE }>;

export function toReview(row: ReviewRow): Review {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    requesterId: row.requesterId,
    requesterPrincipalId: row.requesterPrincipalId,
    requesterName: row.requesterName,
    connectionId: row.connectionId,
    connectionName: row.connection.name,
    sessionId: row.sessionId,
    ruleId: row.ruleId,
    ruleName: row.ruleName,
    command: row.command,
    reason: row.reason,
    requestedSeconds: row.requestedSeconds,
    approverGroups: row.approverGroups,
    requiredApprovals: row.requiredApprovals,
    expiresAt: row.expiresAt,
    decidedAt: row.decidedAt,
    createdAt: row.createdAt,
    decisions: row.decisions.map((d) => ({
      userId: d.userId,
      userName: d.user.email ?? d.user.displayName ?? d.user.subject,
      approved: d.approved,
      comment: d.comment,
      createdAt: d.createdAt,
    })),
  };
}
