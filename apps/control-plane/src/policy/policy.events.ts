/** Redis channel (under the configured prefix) announcing that compiled policy changed. */
export const POLICY_CHANGED_CHANNEL = 'policy-changed';

export interface PolicyChanged {
  version: string;
  reason: string;
  /** Agents whose snapshot changed; empty means every agent. */
  agentIds: string[];
}
