/** Domain view of an agent, as the repository returns it (no Prisma types leak out). */
export type AgentStatus = 'PENDING' | 'ONLINE' | 'OFFLINE' | 'DISABLED';

export interface Agent {
  id: string;
  name: string;
  status: AgentStatus;
  labels: Record<string, string>;
  version: string | null;
  hostname: string | null;
  enrolledAt: Date | null;
  connectedTo: string | null;
  connectedAt: Date | null;
  lastSeenAt: Date | null;
  policyVersion: bigint | null;
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
