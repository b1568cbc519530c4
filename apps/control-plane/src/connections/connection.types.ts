export type ConnectionProtocol = 'POSTGRES' | 'MYSQL' | 'SSH' | 'KUBERNETES' | 'HTTP';
export type TlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** A target reachable through Postern, served by one agent or by every agent of an agent group. */
export interface Connection {
  id: string;
  name: string;
  protocol: ConnectionProtocol;
  agentId: string | null;
  agentGroupId: string | null;
  targetHost: string;
  targetPort: number;
  targetDatabase: string | null;
  targetUser: string | null;
  /** `env:NAME` or `file:/path`, resolved on the agent; never the secret itself. */
  secretRef: string | null;
  tlsMode: TlsMode;
  tlsCaRef: string | null;
  recordingMode: 'STRICT' | 'BEST_EFFORT';
  createdAt: Date;
}

/** A connection to create: exactly one of agentId and agentGroupId. */
export type NewConnection = Omit<Connection, 'id' | 'recordingMode' | 'createdAt'>;

/** Who serves a connection: exactly one of the two. */
export interface ConnectionServer {
  agentId: string | null;
  agentGroupId: string | null;
}
