export type Operation = 'read' | 'write' | 'admin' | 'exec';
export const OPERATIONS: Operation[] = ['read', 'write', 'admin', 'exec'];

export interface AccessRule {
  id: string;
  connectionId: string;
  groups: string[];
  operations: Operation[];
  /** Members may not connect on this rule alone: they request access, approvers decide (JIT). */
  requiresApproval: boolean;
  approverGroups: string[];
  maxSessionSeconds: number | null;
  createdAt: Date;
}

export interface ConnectionCredentialInfo {
  id: string;
  userId: string;
  connectionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}
