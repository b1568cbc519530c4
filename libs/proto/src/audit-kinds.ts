/**
 * The audit event kinds an agent may report (AuditEventBatch). The control plane stores only
 * these from an agent: every other kind — `session.opened`, `review.approved`, `agent.*` … — is
 * the control plane's own and refused when an agent claims it. The agent types its events with
 * AgentAuditKind, so a kind it starts emitting must be added here, where both sides read it.
 */
export const AGENT_AUDIT_KINDS = [
  'statement.blocked',
  'statement.held',
  'statement.approved',
  'statement.rejected',
  'statement.expired',
  'session.policy_summary',
  /** The agent's own allow-lists refused a connection's secret, target or password method. */
  'target.refused',
  /**
   * A Kubernetes request that changed something or opened a stream into a pod (create, update,
   * patch, delete, deletecollection, exec, attach, port-forward), with its answer's status. Reads
   * are in the session recording only.
   */
  'kubernetes.request',
] as const;

export type AgentAuditKind = (typeof AGENT_AUDIT_KINDS)[number];

const KINDS: ReadonlySet<string> = new Set(AGENT_AUDIT_KINDS);

export function isAgentAuditKind(kind: string): kind is AgentAuditKind {
  return KINDS.has(kind);
}
