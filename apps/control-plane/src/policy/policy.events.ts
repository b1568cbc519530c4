/** Redis channel (under the configured prefix) announcing that compiled policy changed. */
export const POLICY_CHANGED_CHANNEL = 'policy-changed';

export interface PolicyChanged {
  version: string;
  reason: string;
  /** Agents whose snapshot changed; empty means every agent. */
  agentIds: string[];
}

/** Redis channel carrying orders to end sessions now, to whichever replica holds the agent. */
export const REVOKE_CHANNEL = 'revoke';

/**
 * An agent was disabled or re-enrolled: every replica ends that agent's Control streams opened
 * before `before` (ms since the epoch; a re-enrolled agent's new stream, opened after, stays).
 */
export const AGENT_CLOSED_CHANNEL = 'agent-closed';

export interface AgentCloseOrder {
  agentId: string;
  message: string;
  before: number;
}

export interface RevokeOrder {
  agentId: string;
  scope: 'SCOPE_SESSION' | 'SCOPE_PRINCIPAL';
  id: string;
  reason: string;
}

/**
 * Redis channel carrying decisions on held commands to whichever replica holds the agent's
 * Control stream (the replica an approver talks to is rarely that one).
 */
export const APPROVAL_DECISION_CHANNEL = 'approval-decision';

export interface ApprovalDecisionOrder {
  agentId: string;
  /** The agent's request id, which is also the review id. */
  requestId: string;
  outcome: 'OUTCOME_APPROVED' | 'OUTCOME_REJECTED' | 'OUTCOME_EXPIRED';
  decidedBy: string;
  comment: string;
}
