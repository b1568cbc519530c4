import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { AgentMessage, ApprovalDecision__Output, AuditEvent, PolicySnapshot__Output } from '@postern/proto';
import { Authenticator, resolveConnection, type Grant } from '../auth/authenticator.js';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type EngineContext,
  type PolicyAuditEvent,
  type SessionPolicy,
  type EngineRegistry,
  type Principal,
  type ResolvedConnection,
  type SessionSummary,
} from '../engines/engine.js';
import { PolicyCompiler } from '../policy/compiled-policy.js';
import { SessionRecorder, type RecorderOptions } from '../recording/session-recorder.js';
import type { RecordingSpool } from '../recording/spool.js';
import type { AgentReach } from '../reach/agent-reach.js';
import { AdmissionLimits, sourceHost, type LimitSettings } from './limits.js';

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
}

interface PendingApproval {
  sessionId: string;
  settle: (outcome: ApprovalOutcome) => void;
  request: AgentMessage;
}

/** Audit events are sent in batches of at most this many (one message per batch). */
const AUDIT_BATCH = 500;

interface LiveSession {
  abort: AbortController;
  done: Promise<void>;
  /** Set once authenticated: what admitted the session, re-checked on every policy change. */
  grant: Grant | null;
  /** When the session must be re-checked even if no policy change comes (an expiry). */
  checkAt: number;
}

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

  constructor(private readonly deps: SessionManagerDeps) {
    this.authenticator = new Authenticator(deps.policy);
    this.compiler = new PolicyCompiler(deps.maskingHashKey, deps.logger);
    this.limits = new AdmissionLimits(deps.limits);
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

  serve(
    client: Duplex,
    options: { protocol: string; ingress: 'local' | 'relay'; clientAddress: string; clientTls: SecureContext | null },
  ): void {
    const engine = this.deps.engines.get(options.protocol);
    if (!engine) {
      this.deps.logger.warn({ protocol: options.protocol }, 'no engine for protocol; connection closed');
      client.destroy();
      return;
    }
    const sessionId = randomUUID();
    const abort = new AbortController();
    const live: LiveSession = { abort, done: Promise.resolve(), grant: null, checkAt: Number.POSITIVE_INFINITY };
    const logger = this.deps.logger.child({
      sessionId,
      ingress: options.ingress,
      clientAddress: options.clientAddress,
    });
    let openedAt: Date | null = null;
    let closedOnce = false;
    let connectionId = '';
    let principalGroups: string[] = [];
    let principal: NonNullable<AgentMessage['approvalRequest']>['requester'] = null;
    let sessionPolicy: SessionPolicy | null = null;
    let recorder: SessionRecorder | null = null;
    let releaseSlot: () => void = () => {};
    let asked: { id: string; name: string } | null = null;
    const reach = this.deps.reach.forSession({
      sessionId,
      connection: () => asked,
      principal: () => live.grant?.principalId ?? null,
    });
    const context: EngineContext = {
      sessionId,
      ingress: options.ingress,
      clientAddress: options.clientAddress,
      logger,
      clientTls: options.clientTls,
      signal: abort.signal,
      resolveConnection: (name, protocol) => resolveConnection(this.deps.policy(), name, protocol),
      authenticate: async (connection, user, password) => {
        asked = { id: connection.id, name: connection.name };
        if (!this.deps.policyUsable()) {
          logger.warn(
            { connection: connection.name },
            'new session refused: control plane unreachable beyond the staleness bound',
          );
          return { ok: false, reason: 'policy_stale', message: 'control plane unreachable; cached policy too old' };
        }
        const source = sourceHost(options.clientAddress);
        const throttled = this.limits.admitAttempt(source, user);
        if (throttled !== null) {
          logger.warn({ connection: connection.name, user, limit: throttled.limit }, 'new session refused by a limit');
          return { ok: false, reason: 'rate_limited', message: throttled.message };
        }
        const admission = await this.authenticator.authenticate(connection, user, password);
        if (!admission.ok) {
          if (admission.reason === 'invalid_credential' || admission.reason === 'expired_credential') {
            this.limits.authFailed(source, user);
          }
          // The client only learns "password authentication failed", as with PostgreSQL itself;
          // the reason (an unknown connection among them) is for the operator.
          logger.info(
            { connection: connection.name, user, reason: admission.reason, detail: admission.message },
            'authentication refused',
          );
          return admission;
        }
        this.limits.authSucceeded(source, user);
        const slot = this.limits.openSession(admission.principal.id);
        if ('limit' in slot) {
          logger.warn({ connection: connection.name, principal: admission.principal.id }, slot.message);
          return { ok: false, reason: 'rate_limited', message: slot.message };
        }
        releaseSlot = slot.release;
        live.grant = admission.grant;
        live.checkAt = this.authenticator.nextCheck(admission.grant);
        return { ok: true, principal: admission.principal };
      },
      resolveSecret: reach.resolveSecret,
      dialTarget: reach.dialTarget,
      revealPassword: reach.revealPassword,
      policy: () => {
        const version = this.deps.policyVersion();
        if (sessionPolicy === null || sessionPolicy.version !== version) {
          sessionPolicy = this.sessionPolicy(version, connectionId, principalGroups);
        }
        return sessionPolicy;
      },
      requestApproval: ({ rule, command }) => {
        const reviewId = randomUUID();
        const request: AgentMessage = {
          approvalRequest: {
            requestId: reviewId,
            sessionId,
            ruleId: rule.id,
            command,
            requester: principal,
            timeoutSeconds: rule.timeoutSeconds,
            connectionId,
            policyVersion: this.deps.policyVersion(),
          },
        };
        const outcome = new Promise<ApprovalOutcome>((resolve) => {
          const timer = setTimeout(
            () => settle({ outcome: 'expired', decidedBy: '', comment: 'no decision in time' }),
            rule.timeoutSeconds * 1000,
          );
          const onAbort = (): void =>
            settle({ outcome: 'cancelled', decidedBy: '', comment: 'the session ended while waiting' });
          abort.signal.addEventListener('abort', onAbort, { once: true });
          const settle = (result: ApprovalOutcome): void => {
            if (!this.approvals.delete(reviewId)) return;
            clearTimeout(timer);
            abort.signal.removeEventListener('abort', onAbort);
            resolve(result);
          };
          this.approvals.set(reviewId, { sessionId, settle, request });
        });
        this.deps.report(request);
        return { reviewId, outcome };
      },
      audit: (event) => {
        this.audit(sessionId, event);
        recorder?.record('decision', {
          kind: event.kind,
          decision: event.decision,
          ruleId: event.ruleId,
          ...event.details,
        });
      },
      record: (type, event) => recorder?.record(type, event),
      opened: (who: Principal, connection: ResolvedConnection) => {
        openedAt = new Date();
        connectionId = connection.id;
        principalGroups = who.groups;
        principal = {
          id: who.id,
          displayName: who.displayName,
          groups: who.groups,
          kind: who.kind === 'service' ? 'KIND_SERVICE' : 'KIND_USER',
        };
        logger.info({ principal: who.id, connection: connection.name }, 'session opened');
        recorder = new SessionRecorder(
          this.deps.spool,
          sessionId,
          connection.recordingMode,
          this.deps.recorder,
          logger,
          (error) => abort.abort(new SessionAbortError('recording_failed', error.message)),
        );
        recorder.record(
          'session.start',
          {
            sessionId,
            connection: { id: connection.id, name: connection.name, protocol: connection.protocol },
            principal,
            clientAddress: options.clientAddress,
            ingress: options.ingress,
            policyVersion: this.deps.policyVersion(),
            recordingMode: connection.recordingMode,
          },
          openedAt.getTime(),
        );
        this.deps.report({
          sessionOpened: {
            sessionId,
            connectionId: connection.id,
            principal,
            clientAddress: options.clientAddress,
            ingress: options.ingress,
            startedAt: { unixMs: String(openedAt.getTime()) },
            policyVersion: this.deps.policyVersion(),
          },
        });
      },
      closed: (summary: SessionSummary) => {
        if (closedOnce) return;
        closedOnce = true;
        logger.info(
          {
            endReason: summary.endReason,
            error: summary.error,
            statements: summary.statementCount,
            bytesFromClient: summary.bytesFromClient,
            bytesFromTarget: summary.bytesFromTarget,
          },
          'session closed',
        );
        // Sessions refused before authentication were never reported open; their refusal is in the log.
        if (!openedAt) return;
        if (recorder !== null) {
          const closing = recorder.close({
            endReason: summary.endReason,
            error: summary.error ?? null,
            bytesFromClient: summary.bytesFromClient,
            bytesFromTarget: summary.bytesFromTarget,
            statements: summary.statementCount,
          });
          this.closingRecordings.add(closing);
          void closing.finally(() => this.closingRecordings.delete(closing));
        }
        this.deps.report({
          sessionClosed: {
            sessionId,
            endedAt: { unixMs: String(Date.now()) },
            endReason: summary.endReason,
            bytesFromClient: String(summary.bytesFromClient),
            bytesFromTarget: String(summary.bytesFromTarget),
            statementCount: String(summary.statementCount),
            error: summary.error ?? '',
          },
        });
      },
    };
    live.done = engine
      .serve(client, context)
      .catch((error: unknown) => logger.error({ err: error }, 'engine failed'))
      .finally(() => {
        releaseSlot();
        this.live.delete(sessionId);
      });
    this.live.set(sessionId, live);
  }

  /**
   * What applies to one session under `version`. Before the first snapshot, or for a session
   * not yet authenticated, nothing is admitted anyway; the empty policy is never consulted.
   */
  private sessionPolicy(version: string, connectionId: string, groups: readonly string[]): SessionPolicy {
    const compiled = this.compiledPolicy();
    if (compiled === null) throw new Error('no policy yet: sessions cannot have been admitted');
    return {
      version,
      statements: compiled.statements.forSession(connectionId, groups),
      masker: compiled.masking.forSession(connectionId, groups),
    };
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
