/** Domain view of an agent, as the repository returns it (no Prisma types leak out). */
export type AgentStatus = 'PENDING' | 'ONLINE' | 'OFFLINE' | 'DISABLED';

export interface Agent {
  id: string;
  name: string;
  /** The agent group whose connections this agent also serves (one replica among several). */
  agentGroupId: string | null;
  status: AgentStatus;
  labels: Record<string, string>;
  version: string | null;
  hostname: string | null;
  enrolledAt: Date | null;
  connectedTo: string | null;
  connectedAt: Date | null;
  lastSeenAt: Date | null;
  /** Policy version the agent reports enforcing (hello, heartbeats, applied policy acks). */
  policyVersion: bigint | null;
  createdAt: Date;
}

/** Agents that replicate each other: every member serves the group's connections. */
export interface AgentGroup {
  id: string;
  name: string;
  createdAt: Date;
}

/** What the Control stream learns from the agent's hello. */
export interface AgentPresence {
  streamId: string;
  controlPlaneInstance: string;
  version: string;
  hostname: string;
  policyVersion: bigint;
  /** Unique per agent process start. */
  instanceId: string;
}

/** A reusable token with which replicas join an agent group, each as an agent of its own. */
export interface AgentGroupJoinToken {
  id: string;
  agentGroupId: string;
  expiresAt: Date;
  /** How many distinct agents may join with it; null: no cap besides expiry. */
  maxAgents: number | null;
  revokedAt: Date | null;
  createdAt: Date;
  /** Agents that enrolled with it so far. */
  agentCount: number;
}

/** Why a join was refused (audited; the caller sees one generic refusal). */
export type JoinRefusal =
  'token revoked or expired' | 'token used up' | 'name taken outside the group' | 'agent disabled';
