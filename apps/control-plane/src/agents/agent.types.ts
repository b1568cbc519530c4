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
  /** Public host keys announced in the agent's last hello (its SSH engine's). */
  hostKeys: PublishedHostKey[];
  createdAt: Date;
}

/** A public host key an agent engine serves with, as the control plane stored and checked it. */
export interface PublishedHostKey {
  /** The engine, e.g. `ssh`. */
  protocol: string;
  /** `<algorithm> <base64 blob>` (OpenSSH public key line, no comment). */
  publicKey: string;
  /** `SHA256:<base64>` of the blob, computed by the control plane. */
  fingerprint: string;
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
  /** Public host keys announced in the hello, already checked (host-keys.ts). */
  hostKeys: PublishedHostKey[];
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
  | 'token revoked or expired'
  | 'token used up'
  | 'name taken outside the group'
  | 'name held by an agent that did not join'
  | 'agent disabled';
