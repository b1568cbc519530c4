import type { SessionObserver } from './session-observer.js';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import type { AgentMessage, ApprovalDecision__Output, AuditEvent, PolicySnapshot__Output } from '@postern/proto';
import { Authenticator } from '../auth/authenticator.js';
import {
  SessionAbortError,
  type PolicyAuditEvent,
  type SessionPolicy,
  type EngineRegistry,
} from '../engines/engine.js';
import { PolicyCompiler } from '../policy/compiled-policy.js';
import type { RecorderOptions } from '../recording/session-recorder.js';
import type { RecordingSpool } from '../recording/spool.js';
import type { AgentReach } from '../reach/agent-reach.js';
import { AdmissionLimits, type LimitSettings } from './limits.js';
import { SessionContext, type PendingApproval, type SessionOrigin, type SessionServices } from './session-context.js';

export interface SessionManagerDeps {
  engines: EngineRegistry;
  policy: () => PolicySnapshot__Output | null;
  policyVersion: () => string;
  report: (message: AgentMessage) => void;
  logger: Logger;
  /** Key of the masking rules' deterministic hash style. */
  maskingHashKey: Buffer;
  spool: RecordingSpool;
  recorder: RecorderOptions;
  /** Whether the cached policy may admit a new session now (the staleness bound of DESIGN.md §7). */
  policyUsable: () => boolean;
  limits: LimitSettings;
  /** The agent's own allow-lists of secrets and targets (DESIGN.md §6b). */
  reach: AgentReach;
  /** Counts sessions, decisions and approval waits (the agent's metrics); none when absent. */
  observer?: SessionObserver;
}

/** Audit events are sent in batches of at most this many (one message per batch). */
const AUDIT_BATCH = 500;

/** A live session, as the manager re-checks and ends it. */
type LiveSession = SessionContext;

/** How often sessions are re-checked for expiry between policy changes. */
const EXPIRY_CHECK_MS = 500;

/**
 * Runs every client connection of this agent, whichever ingress it came through: gives the
 * protocol engine its context (policy lookups, authentication, secrets), reports the session to
 * the control plane, and can end sessions (revocation, shutdown).
 */
export class SessionManager {
  private readonly live = new Map<string, LiveSession>();
  private readonly authenticator: Authenticator;
  private readonly expiryTimer: NodeJS.Timeout;
  private readonly compiler: PolicyCompiler;
  private readonly limits: AdmissionLimits;
  private readonly approvals = new Map<string, PendingApproval>();
  private auditBatch: AuditEvent[] = [];
  /** Final recording chunks still being written (awaited on shutdown). */
  private readonly closingRecordings = new Set<Promise<void>>();

  private readonly services: SessionServices;

  constructor(private readonly deps: SessionManagerDeps) {
    this.authenticator = new Authenticator(deps.policy);
    this.compiler = new PolicyCompiler(deps.engines, deps.maskingHashKey, deps.logger);
    this.limits = new AdmissionLimits(deps.limits);
    this.services = {
      deps,
      authenticator: this.authenticator,
      limits: this.limits,
      approvals: this.approvals,
      audit: (sessionId, event) => this.audit(sessionId, event),
      sessionPolicy: (protocol, version, connectionId, groups) =>
        this.sessionPolicy(protocol, version, connectionId, groups),
      closing: (recording) => {
        this.closingRecordings.add(recording);
        void recording.finally(() => this.closingRecordings.delete(recording));
      },
    };
    this.expiryTimer = setInterval(() => this.checkExpiries(), EXPIRY_CHECK_MS);
    this.expiryTimer.unref();
  }

  /**
   * A session never outlives what admitted it: ends every live session whose credential was
   * revoked or expired, whose user was disabled, or whose access rule was removed. Runs on every
   * policy change (pushed within a second of the change) and every EXPIRY_CHECK_MS.
   */
  reauthorize(now = Date.now()): void {
    for (const [sessionId, session] of this.live) this.check(sessionId, session, now);
  }

  /** Between policy changes only sessions whose next expiry has come are looked at. */
  private checkExpiries(now = Date.now()): void {
    for (const [sessionId, session] of this.live) {
      if (session.checkAt <= now) this.check(sessionId, session, now);
    }
  }

  private check(sessionId: string, session: LiveSession, now: number): void {
    if (!session.grant || session.abort.signal.aborted) return;
    const verdict = this.authenticator.stillAuthorized(session.grant, now);
    if (verdict.ok) {
      session.checkAt = this.authenticator.nextCheck(session.grant);
      return;
    }
    this.deps.logger.info(
      { sessionId, principal: session.grant.principalId, reason: verdict.reason },
      'session revoked',
    );
    session.abort.abort(new SessionAbortError('revoked', `access revoked: ${verdict.reason}`));
  }

  /** Ends sessions on the control plane's order (Revoke): one session, or all of a principal's. */
  revoke(scope: 'session' | 'principal', id: string, reason: string): number {
    let ended = 0;
    for (const [sessionId, session] of this.live) {
      const match = scope === 'session' ? sessionId === id : session.grant?.principalId === id;
      if (!match || session.abort.signal.aborted) continue;
      session.abort.abort(new SessionAbortError('revoked', `access revoked: ${reason}`));
      ended += 1;
    }
    return ended;
  }

  /** A reviewer decided (or the review expired): the held command goes on or is refused. */
  approvalDecided(decision: ApprovalDecision__Output): void {
    const pending = this.approvals.get(decision.requestId);
    if (!pending) return;
    const outcome =
      decision.outcome === 'OUTCOME_APPROVED'
        ? 'approved'
        : decision.outcome === 'OUTCOME_REJECTED'
          ? 'rejected'
          : 'expired';
    pending.settle({ outcome, decidedBy: decision.decidedBy, comment: decision.comment });
  }

  /**
   * After a reconnect, asks again about every statement still held: a decision published while
   * the stream was down reached no one, and the control plane answers a repeated request from the
   * stored outcome (or keeps it pending).
   */
  resendPendingApprovals(): void {
    for (const pending of this.approvals.values()) this.deps.report(pending.request);
  }

  /** Rules compiled from the current snapshot, or null before the first snapshot. */
  private compiledPolicy() {
    return this.compiler.current(this.deps.policy());
  }

  private audit(sessionId: string, event: PolicyAuditEvent): void {
    this.auditBatch.push({
      eventId: randomUUID(),
      sessionId,
      at: { unixMs: String(Date.now()) },
      kind: event.kind,
      decision: event.decision,
      ruleId: event.ruleId ?? '',
      policyVersion: event.policyVersion,
      detailsJson: JSON.stringify(event.details),
    });
    // Events of one tick travel together; a burst is split so no message grows unbounded.
    if (this.auditBatch.length === 1) setImmediate(() => this.flushAudit());
    else if (this.auditBatch.length >= AUDIT_BATCH) this.flushAudit();
  }

  private flushAudit(): void {
    if (this.auditBatch.length === 0) return;
    const events = this.auditBatch;
    this.auditBatch = [];
    this.deps.report({ auditEvents: { events } });
  }

  get activeSessions(): number {
    return this.live.size;
  }

  serve(client: Duplex, origin: SessionOrigin): void {
    const engine = this.deps.engines.get(origin.protocol);
    if (!engine) {
      this.deps.logger.warn({ protocol: origin.protocol }, 'no engine for protocol; connection closed');
      client.destroy();
      return;
    }
    const session = new SessionContext(this.services, origin);
    session.start(
      (stream, context) => engine.serve(stream, context),
      client,
      () => this.live.delete(session.sessionId),
    );
    this.live.set(session.sessionId, session);
  }

  /**
   * What applies to one session under `version`. Before the first snapshot, or for a session
   * not yet authenticated, nothing is admitted anyway; the empty policy is never consulted.
   */
  private sessionPolicy(
    protocol: string,
    version: string,
    connectionId: string,
    groups: readonly string[],
  ): SessionPolicy {
    const rules = this.compiledPolicy()?.byProtocol.get(protocol);
    if (rules === undefined) throw new Error('no policy yet: sessions cannot have been admitted');
    return { ...rules.forSession(connectionId, groups), version };
  }

  /** Ends every session (agent shutdown: clients get 57P01) and waits for them to report. */
  async closeAll(): Promise<void> {
    clearInterval(this.expiryTimer);
    const sessions = [...this.live.values()];
    for (const session of sessions) session.abort.abort(new SessionAbortError('agent_shutdown'));
    await Promise.allSettled(sessions.map((s) => s.done));
    await Promise.allSettled([...this.closingRecordings]);
  }
}
