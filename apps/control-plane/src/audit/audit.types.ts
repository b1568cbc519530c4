import type { AuditContent, ChainedAuditRow } from './audit-chain.js';

/** An audit event as the control plane records it. Append-only; never updated or deleted. */
export interface AuditEntry {
  kind: string;
  actorId?: string | null;
  actorKind?: 'admin' | 'user' | 'service' | 'agent' | 'system';
  decision?: string | null;
  agentId?: string | null;
  connectionId?: string | null;
  sessionId?: string | null;
  ruleId?: string | null;
  policyVersion?: bigint | null;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * An audit event as stored, for readers (agent-reported events carry any JSON object as details),
 * with its place in the hash chain (audit-chain.ts).
 */
export type AuditRecord = ChainedAuditRow;

/** A validated event reported by an agent, ready to store (its id is the agent's event_id). */
export type AgentAuditRow = AuditContent;

export interface AuditFilter {
  sessionId?: string | undefined;
  connectionId?: string | undefined;
  agentId?: string | undefined;
  actorId?: string | undefined;
  decision?: string | undefined;
  ruleId?: string | undefined;
  /** "statement." matches "statement.blocked", "statement.allowed", ... */
  kindPrefix?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Cursor: only events older than this sequence number (newest first). */
  beforeSeq?: bigint | undefined;
  limit: number;
}

/** What an agent's session is, as the control plane knows it (to attribute the agent's events). */
export interface SessionOwner {
  id: string;
  agentId: string;
  connectionId: string;
  principalId: string;
  principalKind: string;
}

/** What `GET /audit/export` streams: events in seq order, every filter optional. */
export interface AuditExportFilter {
  fromSeq?: bigint | undefined;
  toSeq?: bigint | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  kindPrefix?: string | undefined;
}
