import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { AgentMessage, PolicySnapshot__Output } from '@postern/proto';
import { Authenticator, resolveConnection } from '../auth/authenticator.js';
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
}

/**
 * Runs every client connection of this agent, whichever ingress it came through: gives the
 * protocol engine its context (policy lookups, authentication, secrets), reports the session to
 * the control plane, and can end sessions (revocation, shutdown).
 */
export class SessionManager {
  private readonly live = new Map<string, LiveSession>();
  private readonly authenticator: Authenticator;

  constructor(private readonly deps: SessionManagerDeps) {
    this.authenticator = new Authenticator(deps.policy);
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
      authenticate: async (connection, _user, password) => this.authenticator.authenticate(connection, password),
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
    const done = engine
      .serve(client, context)
      .catch((error: unknown) => logger.error({ err: error }, 'engine failed'))
      .finally(() => this.live.delete(sessionId));
    this.live.set(sessionId, { abort, done });
  }

  /** Ends every session (agent shutdown: clients get 57P01) and waits for them to report. */
  async closeAll(): Promise<void> {
    const sessions = [...this.live.values()];
    for (const session of sessions) session.abort.abort(new SessionAbortError('agent_shutdown'));
    await Promise.allSettled(sessions.map((s) => s.done));
  }
}
