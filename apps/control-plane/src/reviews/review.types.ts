export type ReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED';
export type ReviewKind = 'ACCESS' | 'COMMAND';

export interface ReviewDecision {
  userId: string;
  /** The approver as people recognise them: email, else display name, else IdP subject. */
  userName: string;
  approved: boolean;
  comment: string | null;
  createdAt: Date;
}

export interface Review {
  id: string;
  kind: ReviewKind;
  status: ReviewStatus;
  /** The Postern user who asked, when the requester is one. */
  requesterId: string | null;
  /** The requester as agents name principals: a user id, or `oidc:<subject>`. */
  requesterPrincipalId: string;
  requesterName: string | null;
  connectionId: string;
  connectionName: string;
  /** COMMAND reviews: the session holding the command, the rule that held it, the command. */
  sessionId: string | null;
  ruleId: string | null;
  ruleName: string | null;
  command: string | null;
  reason: string | null;
  requestedSeconds: number | null;
  approverGroups: string[];
  requiredApprovals: number;
  expiresAt: Date;
  decidedAt: Date | null;
  createdAt: Date;
  decisions: ReviewDecision[];
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

/** The approval rule behind a held command, as stored (the authority on who decides and how long). */
export interface CommandApprovalRule {
  id: string;
  name: string;
  enabled: boolean;
  connectionIds: string[];
  approverGroups: string[];
  requiredApprovals: number;
  timeoutSeconds: number;
}

/** The session a held command belongs to, as its agent reported it. */
export interface CommandSession {
  id: string;
  agentId: string;
  connectionId: string;
  principalId: string;
  /** "user" or "service" */
  principalKind: string;
  principalName: string | null;
  status: 'ACTIVE' | 'CLOSED';
}
