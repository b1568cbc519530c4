export type Operation = 'read' | 'write' | 'admin' | 'exec';
export const OPERATIONS: Operation[] = ['read', 'write', 'admin', 'exec'];

export interface AccessRule {
  id: string;
  connectionId: string;
  groups: string[];
  operations: Operation[];
  requiresApproval: boolean;
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
