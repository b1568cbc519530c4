import type { Connection } from '../connections/connection.types.js';

/**
 * What an access rule allows. `shell`, `exec`, `sftp` and `forward` are SSH's: a rule naming at
 * least one of them allows only those on an SSH connection; a rule naming none of them (every rule
 * written before they existed) allows all four. `line-guard` turns on the SSH engine's advisory
 * line guard in interactive shells of the sessions the rule admits (it allows nothing by itself).
 */
export type Operation = 'read' | 'write' | 'admin' | 'exec' | 'shell' | 'sftp' | 'forward' | 'line-guard';
export const OPERATIONS: Operation[] = ['read', 'write', 'admin', 'exec', 'shell', 'sftp', 'forward', 'line-guard'];

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
