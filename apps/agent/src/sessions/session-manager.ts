import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { AgentMessage, PolicySnapshot__Output } from '@postern/proto';
import { Authenticator, resolveConnection, type Grant } from '../auth/authenticator.js';
import {
  SessionAbortError,
  type EngineContext,
  type EngineRegistry,
  type Principal,
  type ResolvedConnection,
  type SessionSummary,
} from '../engines/engine.js';
import { resolveSecret } from '../secrets/secret-resolver.js';

export interface SessionManagerDeps {
  engines: EngineRegistry;
  policy: () => PolicySnapshot__Output | null;
  policyVersion: () => string;
  report: (message: AgentMessage) => void;
  logger: Logger;
}

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

  constructor(private readonly deps: SessionManagerDeps) {
    this.authenticator = new Authenticator(deps.policy);
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
    const context: EngineContext = {
      sessionId,
      ingress: options.ingress,
      clientAddress: options.clientAddress,
      logger,
      clientTls: options.clientTls,
      signal: abort.signal,
      resolveConnection: (name, protocol) => resolveConnection(this.deps.policy(), name, protocol),
      authenticate: async (connection, _user, password) => {
        const admission = await this.authenticator.authenticate(connection, password);
        if (!admission.ok) {
          // The client only learns "password authentication failed", as with PostgreSQL itself;
          // the reason is for the operator.
          logger.info(
            { connection: connection.name, reason: admission.reason, detail: admission.message },
            'authentication refused',
          );
          return admission;
        }
        live.grant = admission.grant;
        live.checkAt = this.authenticator.nextCheck(admission.grant);
        return { ok: true, principal: admission.principal };
      },
      resolveSecret: (ref) => resolveSecret(ref),
      opened: (principal: Principal, connection: ResolvedConnection) => {
        openedAt = new Date();
        logger.info({ principal: principal.id, connection: connection.name }, 'session opened');
        this.deps.report({
          sessionOpened: {
            sessionId,
            connectionId: connection.id,
            principal: {
              id: principal.id,
              displayName: principal.displayName,
              groups: principal.groups,
              kind: principal.kind === 'service' ? 'KIND_SERVICE' : 'KIND_USER',
            },
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
        logger.info({ endReason: summary.endReason, statements: summary.statementCount }, 'session closed');
        // Sessions refused before authentication were never reported open; their refusal is in the log.
        if (!openedAt) return;
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
      .finally(() => this.live.delete(sessionId));
    this.live.set(sessionId, live);
  }

  /** Ends every session (agent shutdown: clients get 57P01) and waits for them to report. */
  async closeAll(): Promise<void> {
    clearInterval(this.expiryTimer);
    const sessions = [...this.live.values()];
    for (const session of sessions) session.abort.abort(new SessionAbortError('agent_shutdown'));
    await Promise.allSettled(sessions.map((s) => s.done));
  }
}
