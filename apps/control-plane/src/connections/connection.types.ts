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
  /** What only some protocols have; validated by the protocol's validator (protocols/). */
  settings: ConnectionSettings;
  recordingMode: 'STRICT' | 'BEST_EFFORT';
  createdAt: Date;
}

/** Per-protocol target settings, kept in the connection's `settings` and pushed to agents. */
export interface ConnectionSettings {
  /** SSH: the target's host key as `ssh-keygen -l` prints it (`SHA256:<base64>`); never trusted on first use. */
  hostKeyFingerprint?: string;
  /** KUBERNETES (the API server) and HTTP: the base URL requests go to. */
  url?: string;
  /** HTTP: the request header the agent sets to the resolved secret (`secretRef`). */
  authHeaderName?: string;
  /**
   * SSH: where `ssh -L` may lead, as the target host sees them: `host:port` entries joined by
   * commas, lower-case, IPv6 without brackets (the form the agent's engine compares with).
   * Absent: local forwarding is refused.
   */
  forwardDestinations?: string;
  /** HTTP: how the secret is written in that header: raw (as is), bearer, basic (of `user:password`). */
  authScheme?: string;
  /** HTTP: a query parameter set to the secret. */
  authQueryParam?: string;
  /** HTTP: more headers from secret references, as JSON `{"x-tenant":"env:TENANT"}`. */
  extraHeaders?: string;
  /** HTTP: a header / cookie where callers may send their Postern credential (besides Authorization). */
  credentialHeader?: string;
  credentialCookie?: string;
  /** HTTP: seconds a held request waits for a decision before it is answered 409 (default 30). */
  approvalHoldSeconds?: string;
  /** HTTP: "true" to send the agent's signed identity assertion header. */
  identityAssertion?: string;
}

/** HTTP connection options as an administrator gives them (CreateConnectionInput.http). */
export interface HttpOptionsSpec {
  authScheme?: string | null;
  authQueryParam?: string | null;
  extraHeaders?: { name: string; secretRef: string }[] | null;
  credentialHeader?: string | null;
  credentialCookie?: string | null;
  approvalHoldSeconds?: number | null;
  identityAssertion?: boolean | null;
}

/**
 * A connection as an administrator described it, before its protocol's validator checked it and
 * filled in the protocol's defaults: fields a protocol has no use for must be absent.
 */
export interface ConnectionSpec {
  name: string;
  protocol: ConnectionProtocol;
  agentId: string | null;
  agentGroupId: string | null;
  targetHost: string | null;
  targetPort: number | null;
  targetDatabase: string | null;
  targetUser: string | null;
  secretRef: string | null;
  tlsMode: string | null;
  tlsCaRef: string | null;
  url: string | null;
  hostKeyFingerprint: string | null;
  authHeaderName: string | null;
  /** HTTP only: injection, credential places, approval hold, identity assertion. */
  http?: HttpOptionsSpec | null;
  /** SSH: `host:port` destinations `ssh -L` may reach (IPv6 in brackets); null or empty: none. */
  forwardDestinations: string[] | null;
}

/** A connection to create: exactly one of agentId and agentGroupId. */
export type NewConnection = Omit<Connection, 'id' | 'recordingMode' | 'createdAt'>;

/** Who serves a connection: exactly one of the two. */
export interface ConnectionServer {
  agentId: string | null;
  agentGroupId: string | null;
}
