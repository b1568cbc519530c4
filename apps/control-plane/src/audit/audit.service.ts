import { MetricsService } from '../platform/metrics/metrics.service.js';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import type { AuditEvent__Output } from '@postern/proto';
import { UUID } from '../platform/common/validation.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { validateAgentEvent } from './agent-audit-event.js';
import { AuditRepository } from './audit.repository.js';
import type { AuditContent } from './audit-chain.js';
import type { AgentAuditRow, AuditEntry, AuditFilter, AuditRecord } from './audit.types.js';
import { GroupAppender } from './group-append.js';

const MAX_PAGE = 500;
/**
 * Group commit of the chain: at most 200 events per transaction; while events keep coming (one
 * appended in the last 200 ms), the next waits 20 ms for company. Each append is five round trips
 * under the fleet-wide chain lock, and a short session brings three events (opened, closed,
 * recording completed).
 */
const GROUPING = { maxGroup: 200, lingerMs: 20, busyWindowMs: 200 };
const KIND_PREFIX = /^[a-z0-9_.]{1,64}$/;
const WORD = /^[^\p{Cc}]{1,255}$/u;

/**
 * Records who did what. A failed write is logged at error level and rethrown: callers decide
 * whether the action may proceed without its audit record (security-relevant ones may not).
 */
@Injectable()
export class AuditService {
  /** This replica's own events (sessions, admin actions), group-committed under load. */
  private readonly appender: GroupAppender<AuditContent>;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {
    this.appender = new GroupAppender((events) => repository.appendChained(events, { skipExisting: false }), GROUPING);
  }

  /** Appends one event; resolves once it is committed in the chain. */
  async record(entry: AuditEntry, at: Date = new Date()): Promise<void> {
    try {
      await this.appender.add({
        id: randomUUID(),
        at,
        kind: entry.kind,
        actorId: entry.actorId ?? null,
        actorKind: entry.actorKind ?? null,
        decision: entry.decision ?? null,
        agentId: entry.agentId ?? null,
        connectionId: entry.connectionId ?? null,
        sessionId: entry.sessionId ?? null,
        ruleId: entry.ruleId ?? null,
        policyVersion: entry.policyVersion ?? null,
        details: entry.details ?? {},
      });
    } catch (error) {
      this.logger.error({ err: error, kind: entry.kind }, 'audit event could not be stored');
      throw error;
    }
  }

  /**
   * Stores an agent's batch, idempotently by event id. Each event is validated on its own: a bad
   * one is logged and dropped, the others are kept. An event naming a session of another agent is
   * dropped (an agent speaks only for its own sessions); one naming a session the control plane
   * does not know is kept without a session, its claimed id under `details.unverifiedSessionId`.
   */
  async ingestFromAgent(agentId: string, events: AuditEvent__Output[]): Promise<{ stored: number; refused: number }> {
    const now = Date.now();
    const valid = [];
    let refused = 0;
    for (const event of events) {
      const result = validateAgentEvent(event, now);
      if ('refused' in result) {
        refused += 1;
        this.logger.warn(
          { agentId, eventId: event.eventId.slice(0, 64), reason: result.refused },
          'audit event refused',
        );
      } else {
        valid.push(result);
      }
    }
    const sessionIds = [...new Set(valid.flatMap((e) => (e.sessionId ? [e.sessionId] : [])))];
    const sessions = new Map((await this.repository.sessions(sessionIds)).map((s) => [s.id, s]));
    const rows: AgentAuditRow[] = [];
    for (const event of valid) {
      const session = event.sessionId ? sessions.get(event.sessionId) : undefined;
      if (session && session.agentId !== agentId) {
        refused += 1;
        this.logger.warn(
          { agentId, eventId: event.id, sessionId: event.sessionId },
          "audit event for another agent's session refused",
        );
        continue;
      }
      rows.push({
        id: event.id,
        at: event.at,
        kind: event.kind,
        decision: event.decision,
        ruleId: event.ruleId,
        policyVersion: event.policyVersion,
        agentId,
        sessionId: session ? session.id : null,
        connectionId: session?.connectionId ?? null,
        actorId: session ? session.principalId : agentId,
        actorKind: session ? session.principalKind : 'agent',
        details:
          event.sessionId && !session ? { ...event.details, unverifiedSessionId: event.sessionId } : event.details,
      });
    }
    // One chain append (one lock) for the whole batch; ids already stored are skipped.
    const stored = await this.repository.appendChained(rows, { skipExisting: true });
    for (const row of rows) this.metrics.agentDecisions.inc({ kind: row.kind, decision: row.decision ?? 'none' });
    this.logger.debug({ agentId, received: events.length, stored, refused }, 'audit events received');
    return { stored, refused };
  }

  /** Newest first; `beforeSeq` pages on. Filters are validated here (they reach SQL as parameters). */
  list(filter: AuditFilter): Promise<AuditRecord[]> {
    for (const key of ['sessionId', 'connectionId', 'agentId'] as const) {
      const value = filter[key];
      if (value !== undefined && !UUID.test(value)) throw new InvalidArgumentError(`${key} must be a UUID`);
    }
    for (const key of ['actorId', 'decision', 'ruleId'] as const) {
      const value = filter[key];
      if (value !== undefined && !WORD.test(value)) throw new InvalidArgumentError(`${key} is not a valid value`);
    }
    if (filter.kindPrefix !== undefined && !KIND_PREFIX.test(filter.kindPrefix)) {
      throw new InvalidArgumentError('kindPrefix may contain only a-z, 0-9, "_" and "."');
    }
    return this.repository.list({ ...filter, limit: Math.min(Math.max(filter.limit, 1), MAX_PAGE) });
  }
}
