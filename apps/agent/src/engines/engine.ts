import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { ApprovalRuleInput, SessionStatementPolicy } from '@postern/policy';
import type { SessionMasker } from '@postern/policy-postgres';
import type { SessionReach } from '../reach/agent-reach.js';
import type { AgentAuditKind } from '@postern/proto';

/**
 * One protocol engine per wire protocol (postgres, mysql, ssh, …), all behind this interface and
 * held in the EngineRegistry. An engine terminates the client's protocol, decides with the
 * agent's policy (through the EngineContext callbacks, never by calling the control plane itself),
 * opens the target with credentials the client never sees, and proxies.
 */
export interface ProtocolEngine {
  /** Matches Connection.protocol in the policy snapshot, e.g. "postgres". */
  readonly protocol: string;
  /**
   * Serves one client connection until it ends. Resolves (never rejects) when the session is
   * over; every failure ends only this session, with a protocol-native error to the client.
   */
  serve(client: Duplex, context: EngineContext): Promise<void>;
}

/** Who is on the other end, once authenticated. */
export interface Principal {
  id: string;
  kind: 'user' | 'service';
  displayName: string;
  groups: string[];
}

/** A connection from the policy snapshot, as an engine needs it. */
export interface ResolvedConnection {
  id: string;
  name: string;
  protocol: string;
  target: {
    host: string;
    port: number;
    database: string;
    user: string;
    /** `env:NAME` or `file:/path`; resolved on the agent, never sent anywhere. */
    secretRef: string;
    tlsMode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
    /** `env:`/`file:` reference to a PEM CA for verify-ca / verify-full. */
    tlsCaRef: string | null;
  };
  /** strict: the session ends if its recording cannot be spooled; best-effort: gaps are marked. */
  recordingMode: 'strict' | 'best-effort';
}

export type AuthenticationResult =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      reason:
        'invalid_credential' | 'expired_credential' | 'no_access' | 'user_mismatch' | 'policy_stale' | 'rate_limited';
      message: string;
      /** With user_mismatch: the names the credential's principal may log in with. */
      loginNames?: string[];
    };

/** How a session ended, for the control plane's session record. */
export interface SessionSummary {
  endReason:
    | 'client_closed'
    | 'target_closed'
    | 'revoked'
    | 'protocol_error'
    | 'auth_failed'
    | 'unknown_connection'
    | 'target_unreachable'
    | 'agent_shutdown'
    | 'error';
  error?: string;
  bytesFromClient: number;
  bytesFromTarget: number;
  statementCount: number;
}

/** What the agent gives an engine for one client connection. */
export interface EngineContext {
  sessionId: string;
  ingress: 'local' | 'relay';
  clientAddress: string;
  logger: Logger;
  /** TLS for the client side when the ingress has a certificate; null → refuse SSLRequest ('N'). */
  clientTls: SecureContext | null;
  /** The connection the client named (PostgreSQL `dbname`), or null when there is none. */
  resolveConnection(name: string, protocol: string): ResolvedConnection | null;
  /** Checks the credential presented as the password (Postern connection credential or OIDC token). */
  authenticate(connection: ResolvedConnection, user: string, password: string): Promise<AuthenticationResult>;
  /**
   * Resolves an `env:`/`file:` secret reference on this agent, if the agent's own allow-list lets
   * it (DESIGN.md §6b); otherwise throws ReachRefusedError, already audited.
   */
  resolveSecret(ref: string): Promise<string>;
  /**
   * The address to dial for a target, if the agent's own allow-list lets it: DNS is asked once
   * and the answer pinned, so the host checked is the host reached. Throws ReachRefusedError.
   */
  dialTarget(host: string, port: number): Promise<string>;
  /** Throws ReachRefusedError unless a cleartext or MD5 password may go to the target over `link`. */
  revealPassword: SessionReach['revealPassword'];
  /** Reports the authenticated session (the agent tells the control plane). */
  opened(principal: Principal, connection: ResolvedConnection): void;
  /** Reports the end of the session exactly once. */
  closed(summary: SessionSummary): void;
  /**
   * The statement rules and masking that apply to this session now (they follow policy changes
   * mid-session). Call it per statement / per result: it is a cached lookup.
   */
  policy(): SessionPolicy;
  /**
   * Holds a command for a human decision: the control plane creates a review whose id is
   * `reviewId` (known at once, so the waiting client can be told). Settles with the outcome;
   * never rejects (a timeout or the session ending is an outcome too).
   */
  requestApproval(request: { rule: ApprovalRuleInput; command: string }): {
    reviewId: string;
    outcome: Promise<ApprovalOutcome>;
  };
  /** Appends an event to the session's recording (ignored before the session is opened). */
  record(type: string, event: Record<string, unknown>): void;
  /** Records a policy decision (blocked, held, approved, rejected, masked counts, …). */
  audit(event: PolicyAuditEvent): void;
  /**
   * Aborted when the session must end now (revocation, agent shutdown). Abort with a
   * `SessionAbortError` so the engine can tell the client why; any other reason counts as a
   * revocation.
   */
  signal: AbortSignal;
}

/** What applies to one session under the current policy version. */
export interface SessionPolicy {
  version: string;
  statements: SessionStatementPolicy;
  /** null: nothing is masked for this principal on this connection. */
  masker: SessionMasker | null;
}

export type ApprovalOutcome =
  | { outcome: 'approved'; decidedBy: string; comment: string }
  | { outcome: 'rejected' | 'expired'; decidedBy: string; comment: string }
  | { outcome: 'cancelled'; decidedBy: ''; comment: string };

export interface PolicyAuditEvent {
  /** One of the kinds the control plane accepts from agents (@postern/proto AGENT_AUDIT_KINDS). */
  kind: AgentAuditKind;
  decision: string;
  ruleId?: string;
  policyVersion: string;
  details: Record<string, unknown>;
}

/**
 * The reason to pass to `AbortController.abort()` for `EngineContext.signal`, so the engine
 * tells the client the right story ("access revoked" or "agent shutting down") and reports the
 * matching `SessionSummary.endReason`.
 */
export class SessionAbortError extends Error {
  override readonly name = 'SessionAbortError';

  constructor(
    readonly kind: 'revoked' | 'agent_shutdown' | 'recording_failed',
    message: string = kind === 'revoked'
      ? 'access revoked'
      : kind === 'agent_shutdown'
        ? 'agent shutting down'
        : 'session recording failed',
  ) {
    super(message);
  }
}

/** The engines this agent runs, by protocol. */
export class EngineRegistry {
  private readonly engines = new Map<string, ProtocolEngine>();

  register(engine: ProtocolEngine): this {
    if (this.engines.has(engine.protocol)) throw new Error(`engine ${engine.protocol} registered twice`);
    this.engines.set(engine.protocol, engine);
    return this;
  }

  get(protocol: string): ProtocolEngine | undefined {
    return this.engines.get(protocol);
  }

  get protocols(): string[] {
    return [...this.engines.keys()];
  }
}
