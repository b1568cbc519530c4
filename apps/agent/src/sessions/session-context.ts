import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { AgentMessage, RecordingEventBodies, RecordingEventType } from '@postern/proto';
import { ATTR, inSpan, startSpan, traceparentOf, withActiveSpan, type Span } from '@postern/tracing';
import { resolveConnection, type Authenticator, type Grant } from '../auth/authenticator.js';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type AuthenticationResult,
  type ClientProof,
  type EngineContext,
  type PolicyAuditEvent,
  type Principal,
  type ResolvedConnection,
  type SessionPolicy,
  type SessionSummary,
} from '../engines/engine.js';
import { SessionRecorder } from '../recording/session-recorder.js';
import type { SessionReach } from '../reach/agent-reach.js';
import { sourceHost, type AdmissionLimits } from './limits.js';
import type { SessionManagerDeps } from './session-manager.js';
import { NO_SESSION_OBSERVER, type SessionObserver } from './session-observer.js';

/** How a session came in: the ingress, the client's address and the client-side TLS, if any. */
export interface SessionOrigin {
  protocol: string;
  ingress: 'local' | 'relay';
  clientAddress: string;
  clientTls: SecureContext | null;
}

export interface PendingApproval {
  sessionId: string;
  settle: (outcome: ApprovalOutcome) => void;
  request: AgentMessage;
}

/** What every session shares, owned by the SessionManager. */
export interface SessionServices {
  deps: SessionManagerDeps;
  authenticator: Authenticator;
  limits: AdmissionLimits;
  /** Statements held for a decision, by review id (across sessions: decisions arrive by id). */
  approvals: Map<string, PendingApproval>;
  audit(sessionId: string, event: PolicyAuditEvent): void;
  sessionPolicy(protocol: string, version: string, connectionId: string, groups: readonly string[]): SessionPolicy;
  /** A final recording chunk being written (awaited on shutdown). */
  closing(recording: Promise<void>): void;
}

type RequesterPrincipal = NonNullable<AgentMessage['approvalRequest']>['requester'];

/**
 * One session as the agent sees it, whatever its protocol: the EngineContext its engine is
 * given (policy lookups, authentication, secrets, approvals, recording), and the handle the
 * SessionManager keeps to re-check and end it (grant, expiry, abort).
 */
export class SessionContext implements EngineContext {
  readonly sessionId = randomUUID();
  readonly protocol: string;
  readonly ingress: 'local' | 'relay';
  readonly clientAddress: string;
  readonly clientTls: SecureContext | null;
  readonly logger: Logger;
  readonly abort = new AbortController();
  readonly signal: AbortSignal = this.abort.signal;
  /** Settles when the engine is done with the session. */
  done: Promise<void> = Promise.resolve();
  /** Set once authenticated: what admitted the session, re-checked on every policy change. */
  grant: Grant | null = null;
  /** When the session must be re-checked even if no policy change comes (an expiry). */
  checkAt = Number.POSITIVE_INFINITY;

  private openedAt: Date | null = null;
  private closedOnce = false;
  private connectionId = '';
  private principalGroups: string[] = [];
  private principal: RequesterPrincipal = null;
  private cachedPolicy: SessionPolicy | null = null;
  private recorder: SessionRecorder | null = null;
  private releaseSlot: () => void = () => {};
  /** The connection the client asked for, once known (for the reach audit trail). */
  private asked: { id: string; name: string } | null = null;
  private readonly reach: SessionReach;
  private readonly observer: SessionObserver;
  /**
   * The trace of the session's setup (accept → authenticate → policy → dial → open), ended when
   * the session opens or is refused; its traceparent rides on the session's reports so the
   * control plane's spans join the same trace. A no-op span when tracing is off.
   */
  private readonly setupSpan: Span;
  private traceparent = '';

  readonly resolveSecret: EngineContext['resolveSecret'];
  readonly dialTarget: EngineContext['dialTarget'];
  readonly revealPassword: EngineContext['revealPassword'];

  constructor(
    private readonly services: SessionServices,
    origin: SessionOrigin,
  ) {
    const { deps } = services;
    this.protocol = origin.protocol;
    this.ingress = origin.ingress;
    this.clientAddress = origin.clientAddress;
    this.clientTls = origin.clientTls;
    this.logger = deps.logger.child({
      sessionId: this.sessionId,
      ingress: origin.ingress,
      clientAddress: origin.clientAddress,
    });
    this.reach = deps.reach.forSession({
      sessionId: this.sessionId,
      connection: () => this.asked,
      principal: () => this.grant?.principalId ?? null,
    });
    this.observer = deps.observer ?? NO_SESSION_OBSERVER;
    this.setupSpan = startSpan('postern.session.setup', {
      [ATTR.sessionId]: this.sessionId,
      [ATTR.protocol]: origin.protocol,
      [ATTR.ingress]: origin.ingress,
    });
    this.resolveSecret = this.reach.resolveSecret;
    const dial = this.reach.dialTarget;
    this.dialTarget = (host, port) =>
      inSpan(
        'postern.upstream.dial',
        { [ATTR.sessionId]: this.sessionId, 'server.address': host, 'server.port': port },
        () => dial(host, port),
        this.setupSpan,
      );
    this.revealPassword = this.reach.revealPassword;
  }

  /** Runs the engine on the client; `onDone` runs once it is over (the manager forgets the session). */
  start(serve: (client: Duplex, context: EngineContext) => Promise<void>, client: Duplex, onDone: () => void): void {
    // The engine runs under the setup span: what it starts (a TLS handshake) nests under it.
    this.done = withActiveSpan(this.setupSpan, () => serve(client, this))
      .catch((error: unknown) => this.logger.error({ err: error }, 'engine failed'))
      .finally(() => {
        this.releaseSlot();
        onDone();
      });
  }

  resolveConnection(name: string, protocol: string): ResolvedConnection | null {
    return resolveConnection(this.services.deps.policy(), name, protocol);
  }

  knowsPublicKey(connection: ResolvedConnection, user: string, publicKey: Buffer): boolean {
    return this.services.deps.policyUsable() && this.services.authenticator.knowsSshKey(connection, user, publicKey);
  }

  operations(): string[][] {
    return this.grant === null ? [] : this.services.authenticator.operations(this.grant);
  }

  authenticate(
    connection: ResolvedConnection,
    presentedUser: string | null,
    password: string | ClientProof,
  ): Promise<AuthenticationResult> {
    return inSpan(
      'postern.session.authenticate',
      { [ATTR.sessionId]: this.sessionId, [ATTR.connectionId]: connection.id },
      async (span) => {
        const result = await this.admit(connection, presentedUser, password);
        span.setAttribute(ATTR.outcome, result.ok ? 'admitted' : result.reason);
        return result;
      },
      this.setupSpan,
    );
  }

  private async admit(
    connection: ResolvedConnection,
    presentedUser: string | null,
    password: string | ClientProof,
  ): Promise<AuthenticationResult> {
    const { deps, limits, authenticator } = this.services;
    // A bearer credential without a user name (HTTP, Kubernetes) is limited per source under ''.
    const user = presentedUser ?? '';
    const logger = this.logger;
    this.asked = { id: connection.id, name: connection.name };
    if (!deps.policyUsable()) {
      logger.warn(
        { connection: connection.name },
        'new session refused: control plane unreachable beyond the staleness bound',
      );
      return { ok: false, reason: 'policy_stale', message: 'control plane unreachable; cached policy too old' };
    }
    const source = sourceHost(this.clientAddress);
    const throttled = limits.admitAttempt(source, user);
    if (throttled !== null) {
      logger.warn({ connection: connection.name, user, limit: throttled.limit }, 'new session refused by a limit');
      return { ok: false, reason: 'rate_limited', message: throttled.message };
    }
    const admission = await authenticator.authenticate(connection, presentedUser, password);
    if (!admission.ok) {
      if (admission.reason === 'invalid_credential' || admission.reason === 'expired_credential') {
        limits.authFailed(source, user);
      }
      // The client only learns "password authentication failed", as with PostgreSQL itself;
      // the reason (an unknown connection among them) is for the operator.
      logger.info(
        { connection: connection.name, user, reason: admission.reason, detail: admission.message },
        'authentication refused',
      );
      return admission;
    }
    limits.authSucceeded(source, user);
    const slot = limits.openSession(admission.principal.id);
    if ('limit' in slot) {
      logger.warn({ connection: connection.name, principal: admission.principal.id }, slot.message);
      return { ok: false, reason: 'rate_limited', message: slot.message };
    }
    this.releaseSlot = slot.release;
    this.grant = admission.grant;
    this.checkAt = authenticator.nextCheck(admission.grant);
    return { ok: true, principal: admission.principal };
  }

  policy(): SessionPolicy {
    const version = this.services.deps.policyVersion();
    if (this.cachedPolicy === null || this.cachedPolicy.version !== version) {
      const span = startSpan(
        'postern.session.policy',
        { [ATTR.sessionId]: this.sessionId, 'postern.policy.version': version },
        this.setupSpan,
      );
      this.cachedPolicy = this.services.sessionPolicy(this.protocol, version, this.connectionId, this.principalGroups);
      span.end();
    }
    return this.cachedPolicy;
  }

  requestApproval({ rule, command }: Parameters<EngineContext['requestApproval']>[0]): {
    reviewId: string;
    outcome: Promise<ApprovalOutcome>;
  } {
    const { deps, approvals } = this.services;
    const { sessionId, signal } = this;
    const reviewId = randomUUID();
    const request: AgentMessage = {
      approvalRequest: {
        requestId: reviewId,
        sessionId,
        ruleId: rule.id,
        command,
        requester: this.principal,
        timeoutSeconds: rule.timeoutSeconds,
        connectionId: this.connectionId,
        policyVersion: deps.policyVersion(),
      },
    };
    const heldAt = performance.now();
    const outcome = new Promise<ApprovalOutcome>((resolve) => {
      const timer = setTimeout(
        () => settle({ outcome: 'expired', decidedBy: '', comment: 'no decision in time' }),
        rule.timeoutSeconds * 1000,
      );
      const onAbort = (): void =>
        settle({ outcome: 'cancelled', decidedBy: '', comment: 'the session ended while waiting' });
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (result: ApprovalOutcome): void => {
        if (!approvals.delete(reviewId)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.observer.approvalSettled(this.protocol, result.outcome, (performance.now() - heldAt) / 1000);
        resolve(result);
      };
      approvals.set(reviewId, { sessionId, settle, request });
    });
    deps.report(request);
    return { reviewId, outcome };
  }

  audit(event: PolicyAuditEvent): void {
    this.services.audit(this.sessionId, event);
    this.observer.decision(this.protocol, event.kind, event.decision, event.ruleId ?? '');
    this.recorder?.record('decision', {
      kind: event.kind,
      decision: event.decision,
      ruleId: event.ruleId,
      ...event.details,
    });
  }

  record<K extends RecordingEventType>(type: K, event: RecordingEventBodies[K]): void {
    this.recorder?.record(type, event);
  }

  opened(who: Principal, connection: ResolvedConnection): void {
    const { deps } = this.services;
    const { sessionId, clientAddress, ingress } = this;
    const openedAt = new Date();
    this.openedAt = openedAt;
    this.connectionId = connection.id;
    this.principalGroups = who.groups;
    const principal = {
      id: who.id,
      displayName: who.displayName,
      groups: who.groups,
      kind: who.kind === 'service' ? 'KIND_SERVICE' : 'KIND_USER',
    } as const;
    this.principal = principal;
    this.logger.info({ principal: who.id, connection: connection.name }, 'session opened');
    this.observer.opened(this.protocol, ingress);
    this.setupSpan.setAttributes({ [ATTR.connectionId]: connection.id, [ATTR.principalId]: who.id });
    this.traceparent = traceparentOf(this.setupSpan);
    this.setupSpan.end();
    const recorder = new SessionRecorder(
      deps.spool,
      sessionId,
      connection.recordingMode,
      deps.recorder,
      this.logger,
      (error) => this.abort.abort(new SessionAbortError('recording_failed', error.message)),
    );
    this.recorder = recorder;
    const start: RecordingEventBodies['session.start'] = {
      sessionId,
      connection: { id: connection.id, name: connection.name, protocol: connection.protocol },
      principal,
      clientAddress,
      ingress,
      policyVersion: deps.policyVersion(),
      recordingMode: connection.recordingMode,
    };
    recorder.record('session.start', start, openedAt.getTime());
    deps.report({
      sessionOpened: {
        sessionId,
        connectionId: connection.id,
        principal,
        clientAddress,
        ingress,
        startedAt: { unixMs: String(openedAt.getTime()) },
        policyVersion: deps.policyVersion(),
        traceparent: this.traceparent,
      },
    });
  }

  closed(summary: SessionSummary): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    this.logger.info(
      {
        endReason: summary.endReason,
        error: summary.error,
        statements: summary.statementCount,
        bytesFromClient: summary.bytesFromClient,
        bytesFromTarget: summary.bytesFromTarget,
      },
      'session closed',
    );
    this.observer.closed(this.protocol, this.ingress, {
      endReason: summary.endReason,
      bytesFromClient: summary.bytesFromClient,
      bytesFromTarget: summary.bytesFromTarget,
      wasOpened: this.openedAt !== null,
    });
    // Sessions refused before authentication were never reported open; their refusal is in the log.
    if (!this.openedAt) {
      this.setupSpan.setAttributes({ [ATTR.outcome]: 'refused', [ATTR.endReason]: summary.endReason });
      this.setupSpan.end();
      return;
    }
    if (this.recorder !== null) {
      const end: RecordingEventBodies['session.end'] = {
        endReason: summary.endReason,
        error: summary.error ?? null,
        bytesFromClient: summary.bytesFromClient,
        bytesFromTarget: summary.bytesFromTarget,
        statements: summary.statementCount,
      };
      this.services.closing(this.recorder.close(end));
    }
    this.services.deps.report({
      sessionClosed: {
        sessionId: this.sessionId,
        endedAt: { unixMs: String(Date.now()) },
        endReason: summary.endReason,
        bytesFromClient: String(summary.bytesFromClient),
        bytesFromTarget: String(summary.bytesFromTarget),
        statementCount: String(summary.statementCount),
        error: summary.error ?? '',
        traceparent: this.traceparent,
      },
    });
  }
}
