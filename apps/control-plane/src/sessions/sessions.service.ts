import { MetricsService } from '../platform/metrics/metrics.service.js';
import { Inject, Injectable } from '@nestjs/common';
import { UUID, storableText } from '../platform/common/validation.js';
import type { Logger } from '@postern/logging';
import type { SessionClosed__Output, SessionOpened__Output } from '@postern/proto';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { AuditService } from '../audit/audit.service.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { REVOKE_CHANNEL, type RevokeOrder } from '../policy/policy.events.js';
import { SessionsRepository } from './sessions.repository.js';
import type { SessionFilter, SessionRecord } from './session.types.js';

function instant(value: { unixMs: string } | null | undefined): Date {
  const ms = Number(value?.unixMs ?? NaN);
  // 8.64e15 ms is the largest instant a JavaScript Date (and so Prisma) can hold.
  if (!Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) throw new InvalidArgumentError('timestamp missing or invalid');
  return new Date(ms);
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * A uint64 counter from the wire, as the bigint column (int8) can store it: larger values
 * (found by fuzzing: they made the insert fail and ended the agent's stream) are capped.
 */
function count(value: string): bigint {
  if (!/^\d{1,20}$/.test(value)) return 0n;
  const n = BigInt(value);
  return n > INT64_MAX ? INT64_MAX : n;
}

/** Sessions as agents report them: who, which connection, from where, when, how it ended. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repository: SessionsRepository,
    private readonly audit: AuditService,
    private readonly redis: RedisService,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  /** Ends an active session now: its agent sends the client a protocol-native error and closes. */
  async terminate(id: string, actor: string): Promise<SessionRecord> {
    const session = await this.get(id);
    if (session.status !== 'ACTIVE') throw new InvalidArgumentError(`session ${id} is not active`);
    const order: RevokeOrder = {
      agentId: session.agentId,
      scope: 'SCOPE_SESSION',
      id,
      reason: 'terminated by an administrator',
    };
    await this.redis.publish(REVOKE_CHANNEL, JSON.stringify(order));
    await this.audit.record({
      kind: 'session.terminated',
      actorId: actor,
      actorKind: 'admin',
      sessionId: id,
      agentId: session.agentId,
      connectionId: session.connectionId,
    });
    return session;
  }

  /** Validates an agent's `session opened` at the edge, then records it (idempotently). */
  async opened(agentId: string, message: SessionOpened__Output): Promise<void> {
    if (!UUID.test(message.sessionId) || !UUID.test(message.connectionId) || !message.principal?.id) {
      throw new InvalidArgumentError('session opened: session id, connection id and principal are required');
    }
    if (!(await this.repository.connectionBelongsToAgent(message.connectionId, agentId))) {
      throw new PermissionDeniedError('session opened for a connection this agent does not serve');
    }
    const principal = message.principal;
    const stored = await this.repository.opened({
      id: message.sessionId,
      connectionId: message.connectionId,
      agentId,
      principalId: storableText(principal.id, 255),
      principalKind: principal.kind === 'KIND_SERVICE' ? 'service' : 'user',
      principalName: storableText(principal.displayName, 255),
      clientAddress: storableText(message.clientAddress, 255),
      ingress: message.ingress === 'relay' ? 'relay' : 'local',
      startedAt: instant(message.startedAt),
      policyVersion: count(message.policyVersion),
    });
    // An agent speaks only for its own sessions: a reused id must not reach another's audit trail.
    if (stored.agentId !== agentId) {
      throw new PermissionDeniedError('session opened: the session id belongs to another agent');
    }
    await this.audit.record({
      kind: 'session.opened',
      actorId: storableText(principal.id, 255),
      actorKind: principal.kind === 'KIND_SERVICE' ? 'service' : 'user',
      agentId,
      connectionId: message.connectionId,
      sessionId: message.sessionId,
      details: { ingress: storableText(message.ingress, 16), clientAddress: storableText(message.clientAddress, 255) },
    });
    this.metrics.sessionReports.inc({
      event: 'opened',
      ingress: message.ingress === 'relay' ? 'relay' : 'local',
      end_reason: '',
    });
  }

  async closed(agentId: string, message: SessionClosed__Output): Promise<void> {
    if (!UUID.test(message.sessionId)) throw new InvalidArgumentError('session closed: invalid session id');
    const updated = await this.repository.closed({
      id: message.sessionId,
      agentId,
      endedAt: instant(message.endedAt),
      endReason: storableText(message.endReason, 64) || 'unknown',
      bytesFromClient: count(message.bytesFromClient),
      bytesFromTarget: count(message.bytesFromTarget),
      statementCount: count(message.statementCount),
    });
    if (!updated) {
      this.logger.warn({ agentId, sessionId: message.sessionId }, 'session closed for an unknown session; ignored');
      return;
    }
    // End reasons are the agents' words: well-formed ones only as labels, so series stay bounded.
    const reason = /^[a-z_]{1,32}$/.test(message.endReason) ? message.endReason : 'other';
    this.metrics.sessionReports.inc({ event: 'closed', ingress: '', end_reason: reason });
    await this.audit.record({
      kind: 'session.closed',
      actorKind: 'agent',
      actorId: agentId,
      agentId,
      sessionId: message.sessionId,
      details: { endReason: storableText(message.endReason, 64), error: storableText(message.error, 500) || null },
    });
  }

  /**
   * A new agent process took over: the sessions its previous process reported open ended with it
   * (an agent restart ends its sessions; DESIGN.md §7).
   */
  async agentRestarted(agentId: string): Promise<void> {
    const closed = await this.repository.closeActiveOfAgent(agentId, new Date(), 'agent_restarted');
    if (closed === 0) return;
    this.logger.warn({ agentId, sessions: closed }, 'agent restarted: its open sessions were marked closed');
    await this.audit.record({
      kind: 'sessions.closed_by_agent_restart',
      actorKind: 'system',
      agentId,
      details: { sessions: closed },
    });
  }

  async get(id: string): Promise<SessionRecord> {
    const session = UUID.test(id) ? await this.repository.findById(id) : null;
    if (!session) throw new NotFoundError('session', id);
    return session;
  }

  list(filter: SessionFilter): Promise<SessionRecord[]> {
    return this.repository.list({ ...filter, limit: Math.min(Math.max(filter.limit, 1), 500) });
  }
}
