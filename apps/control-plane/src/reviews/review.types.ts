export type ReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED';

export interface Review {
  id: string;
  kind: 'ACCESS' | 'COMMAND';
  status: ReviewStatus;
  requesterId: string;
  connectionId: string;
  reason: string | null;
  requestedSeconds: number | null;
  approverGroups: string[];
  requiredApprovals: number;
  expiresAt: Date;
  decidedAt: Date | null;
  createdAt: Date;
  decisions: Array<{ userId: string; approved: boolean; comment: string | null; createdAt: Date }>;
}

export interface Grant {
  id: string;
  userId: string;
  connectionId: string;
  operations: string[];
  reviewId: string | null;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}
