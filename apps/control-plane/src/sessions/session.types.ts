export interface SessionRecord {
  id: string;
  connectionId: string;
  connectionName: string;
  agentId: string;
  principalId: string;
  principalKind: string;
  principalName: string | null;
  clientAddress: string | null;
  ingress: string;
  status: 'ACTIVE' | 'CLOSED';
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  bytesFromClient: bigint;
  bytesFromTarget: bigint;
  statementCount: bigint;
  policyVersion: bigint | null;
}

export interface SessionOpenedEvent {
  id: string;
  connectionId: string;
  agentId: string;
  principalId: string;
  principalKind: string;
  principalName: string;
  clientAddress: string;
  ingress: string;
  startedAt: Date;
  policyVersion: bigint;
}

export interface SessionClosedEvent {
  id: string;
  agentId: string;
  endedAt: Date;
  endReason: string;
  bytesFromClient: bigint;
  bytesFromTarget: bigint;
  statementCount: bigint;
}

export interface SessionFilter {
  connectionId?: string | undefined;
  principalId?: string | undefined;
  status?: 'ACTIVE' | 'CLOSED' | undefined;
  limit: number;
}
