import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { ApprovalRuleInput, SessionStatementPolicy } from '@postern/policy';
import type { SessionReach } from '../reach/agent-reach.js';
import type {
  AgentAuditKind,
  ApprovalRule__Output,
  Guardrail__Output,
  MaskingRule__Output,
  RecordingEventBodies,
  RecordingEventType,
} from '@postern/proto';

/**
 * One protocol engine per wire protocol (postgres, mysql, ssh, …), all behind this interface and
 * held in the EngineRegistry. An engine terminates the client's protocol, decides with the
 * agent's policy (through the EngineContext callbacks, never by calling the control plane itself),
 * opens the target with credentials the client never sees, and proxies.
 */
export interface ProtocolEngine<R extends SessionRules = SessionRules> {
  /** Matches Connection.protocol in the policy snapshot, e.g. "postgres". */
  readonly protocol: string;
  /**
   * The dialect of the rules this engine reads (a guardrail, approval or masking rule names its
   * dialect, and only that protocol's analyser ever reads it), e.g. "postgres".
   */
  readonly dialect: string;
  /**
   * Compiles this dialect's rules of one policy snapshot (called once per snapshot, never per
   * session). A rule that does not load must not silently stop applying: it is replaced by its
   * fail-closed stand-in and named in `problems`.
   */
  compileRules(rules: DialectRules, options: RuleCompileOptions): CompiledRules<R>;
  /**
   * Serves one client connection until it ends. Resolves (never rejects) when the session is
   * over; every failure ends only this session, with a protocol-native error to the client.
   */
  serve(client: Duplex, context: EngineContext<R>): Promise<void>;
}

/** The snapshot's rules of one dialect, as the control plane pushed them. */
export interface DialectRules {
  guardrails: Guardrail__Output[];
  approvalRules: ApprovalRule__Output[];
  maskingRules: MaskingRule__Output[];
}

export interface RuleCompileOptions {
  /** Key of the masking rules' deterministic hash style (the same on every agent). */
  hashKey: Buffer;
}

/** One snapshot's rules compiled by an engine. */
export interface CompiledRules<R extends SessionRules = SessionRules> {
  /** The rules that apply to a principal of `groups` on one connection. */
  forSession(connectionId: string, groups: readonly string[]): R;
  /** Rules that did not load (each replaced by its fail-closed stand-in). */
  problems: string[];
}

/**
 * What every engine's per-session rules have: the statement (command) rules of the neutral rule
 * model. An engine adds what its protocol needs (PostgreSQL: its result masker).
 */
export interface SessionRules {
  statements: SessionStatementPolicy;
}

/** Who is on the other end, once authenticated. */
export interface Principal {
  id: string;
  kind: 'user' | 'service';
  displayName: string;
  groups: string[];
  /** The login name a target is told (Kubernetes `Impersonate-User`): e-mail when known, else the IdP subject. */
  loginName?: string;
}

/** A connection from the policy snapshot, as an engine needs it. */
export interface ResolvedConnection {
  id: string;
  name: string;
  protocol: string;
  target: {
    host: string;
    port: number;
    /** The login the agent uses at the target ('' where the protocol has none). */
    user: string;
    /** `env:NAME` or `file:/path`; resolved on the agent, never sent anywhere. */
    secretRef: string;
    tls: TargetTls;
    /**
     * What only some protocols have, as the connection's validator in the control plane checked
     * it: `database` (PostgreSQL, MySQL), `hostKeyFingerprint` (SSH), `url` (Kubernetes, HTTP), …
     * A key the protocol needs and does not find is that engine's error.
     */
    settings: Readonly<Record<string, string>>;
  };
  /** strict: the session ends if its recording cannot be spooled; best-effort: gaps are marked. */
  recordingMode: 'strict' | 'best-effort';
}

/**
 * TLS towards the target, in one vocabulary for every protocol (each maps it to its own: libpq's
 * sslmode, MySQL's ssl-mode, an https URL's verification): disable, prefer (TLS if offered),
 * require (TLS, unverified), verify-ca (chain), verify-full (chain and host name).
 */
export interface TargetTls {
  mode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /** `env:`/`file:` reference to a PEM CA for verify-ca / verify-full; null: the system's CAs. */
  caRef: string | null;
}

/** A public key the client proved it holds (the engine checked the signature over its session). */
export interface ClientProof {
  kind: 'public-key';
  /** The key blob in SSH wire format. */
  publicKey: Buffer;
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
export interface EngineContext<R extends SessionRules = SessionRules> {
  sessionId: string;
  ingress: 'local' | 'relay';
  clientAddress: string;
  logger: Logger;
  /** TLS for the client side when the ingress has a certificate; null → refuse SSLRequest ('N'). */
  clientTls: SecureContext | null;
  /** The connection the client named (PostgreSQL `dbname`), or null when there is none. */
  resolveConnection(name: string, protocol: string): ResolvedConnection | null;
  /**
   * Checks the credential presented as the password (Postern connection credential or OIDC token),
   * or a public key the client proved it holds (SSH: the engine verified the signature). `user`
   * must be one of its principal's login names; null where the protocol carries a bearer
   * credential and no user name (HTTP, Kubernetes): the credential's principal is the user.
   */
  authenticate(
    connection: ResolvedConnection,
    user: string | null,
    password: string | ClientProof,
  ): Promise<AuthenticationResult>;
  /**
   * Whether `publicKey` is registered to a principal with login name `user` who may reach the
   * connection (no session is admitted, no limit spent): SSH answers a key query with it.
   */
  knowsPublicKey(connection: ResolvedConnection, user: string, publicKey: Buffer): boolean;
  /**
   * Once authenticated: the operations of each access rule or grant admitting the session now, one
   * list each (they follow policy changes). What the names mean is the engine's (SSH: shell, exec,
   * sftp, forward; a list naming none of those allows all of them).
   */
  operations(): string[][];
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
  policy(): SessionPolicy<R>;
  /**
   * Holds a command for a human decision: the control plane creates a review whose id is
   * `reviewId` (known at once, so the waiting client can be told). Settles with the outcome;
   * never rejects (a timeout or the session ending is an outcome too).
   */
  requestApproval(request: { rule: ApprovalRuleInput; command: string }): {
    reviewId: string;
    outcome: Promise<ApprovalOutcome>;
  };
  /**
   * Appends an event to the session's recording (ignored before the session is opened). The
   * kinds are @postern/proto's RecordingEvent union, shared with the control plane; a protocol
   * adds its own kinds there.
   */
  record<K extends RecordingEventType>(type: K, event: RecordingEventBodies[K]): void;
  /** Records a policy decision (blocked, held, approved, rejected, masked counts, …). */
  audit(event: PolicyAuditEvent): void;
  /**
   * Aborted when the session must end now (revocation, agent shutdown). Abort with a
   * `SessionAbortError` so the engine can tell the client why; any other reason counts as a
   * revocation.
   */
  signal: AbortSignal;
}

/** What applies to one session under the current policy version: the engine's rules and the version. */
export type SessionPolicy<R extends SessionRules = SessionRules> = R & { version: string };

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

  register<R extends SessionRules>(engine: ProtocolEngine<R>): this {
    if (this.engines.has(engine.protocol)) throw new Error(`engine ${engine.protocol} registered twice`);
    // Stored without its rules' type: the rules an engine's sessions get are the ones the same
    // engine compiled (SessionManager), so they always match at run time.
    this.engines.set(engine.protocol, engine as unknown as ProtocolEngine);
    return this;
  }

  get(protocol: string): ProtocolEngine | undefined {
    return this.engines.get(protocol);
  }

  get protocols(): string[] {
    return [...this.engines.keys()];
  }

  all(): ProtocolEngine[] {
    return [...this.engines.values()];
  }
}
