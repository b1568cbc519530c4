/** An audit event as the control plane records it. Append-only; never updated or deleted. */
export interface AuditEntry {
  kind: string;
  actorId?: string | null;
  actorKind?: 'admin' | 'user' | 'service' | 'agent' | 'system';
  decision?: string | null;
  agentId?: string | null;
  connectionId?: string | null;
  sessionId?: string | null;
  details?: Record<string, string | number | boolean | null>;
}
