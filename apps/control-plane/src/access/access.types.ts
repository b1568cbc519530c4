import type { Connection } from '../connections/connection.types.js';

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

/** A connection one user can reach, and how. */
export interface ReachableConnection {
  connection: Connection;
  /** standing: a rule opens it; granted: a just-in-time grant does, until `expiresAt`; requestable: ask first. */
  access: 'standing' | 'granted' | 'requestable';
  expiresAt: Date | null;
  operations: string[];
}

export interface ConnectionCredentialInfo {
  id: string;
  userId: string;
  connectionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}
