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

export interface RevokeOrder {
  agentId: string;
  scope: 'SCOPE_SESSION' | 'SCOPE_PRINCIPAL';
  id: string;
  reason: string;
}
