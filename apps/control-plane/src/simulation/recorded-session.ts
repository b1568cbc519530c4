import type { RecordingEventType } from '@postern/proto';
import type { EventLine } from '../recordings/recording-chain.js';
import type { RecordedDecision } from './simulation.types.js';

export interface RecordedStatement {
  at: Date;
  sql: string;
  recorded: RecordedDecision;
}

const MAX_GROUPS = 200;

/**
 * Reads one session's recording, event by event in order (pure, no I/O). `session.start` gives
 * the principal's groups; `statement` events are the statements to re-evaluate; `decision` events
 * (written by the agent just before the statement they concern) tell what the policy then in
 * force did: `statement.blocked` → blocked, `statement.held` then `.approved` → held (it ran),
 * then `.rejected`/`.expired`/`.cancelled` → blocked. A decision is matched to the next statement
 * event with the same SQL text (both are the agent's masked, bounded rendering of it).
 */
export class RecordedSession {
  /** Null until a session.start event was read. */
  groups: string[] | null = null;
  private readonly pending = new Map<string, RecordedDecision>();
  private readonly heldSql = new Map<string, string>();

  read(line: EventLine): RecordedStatement | null {
    const event = line.event;
    // The agent's vocabulary (@postern/proto): a kind renamed there fails to compile here.
    switch (line.type as RecordingEventType) {
      case 'session.start':
        this.groups = groupsOf(event['principal']);
        return null;
      case 'decision':
        this.decision(event);
        return null;
      case 'statement': {
        const sql = event['sql'];
        if (typeof sql !== 'string') return null;
        const recorded = this.pending.get(sql) ?? 'allowed';
        this.pending.delete(sql);
        return { at: line.at, sql, recorded };
      }
      default:
        return null;
    }
  }

  private decision(event: Record<string, unknown>): void {
    const kind = event['kind'];
    const sql = typeof event['sql'] === 'string' ? event['sql'] : null;
    const reviewId = typeof event['reviewId'] === 'string' ? event['reviewId'] : null;
    switch (kind) {
      case 'statement.blocked':
        if (sql !== null) this.pending.set(sql, 'blocked');
        return;
      case 'statement.held':
        if (sql !== null) this.pending.set(sql, 'held');
        if (sql !== null && reviewId !== null) this.heldSql.set(reviewId, sql);
        return;
      case 'statement.approved':
      case 'statement.rejected':
      case 'statement.expired':
      case 'statement.cancelled': {
        const held = reviewId === null ? undefined : this.heldSql.get(reviewId);
        if (held === undefined) return;
        this.heldSql.delete(reviewId!);
        this.pending.set(held, kind === 'statement.approved' ? 'held' : 'blocked');
        return;
      }
      default:
        return;
    }
  }
}

function groupsOf(principal: unknown): string[] {
  if (principal === null || typeof principal !== 'object') return [];
  const groups = (principal as Record<string, unknown>)['groups'];
  if (!Array.isArray(groups)) return [];
  return groups.filter((g): g is string => typeof g === 'string').slice(0, MAX_GROUPS);
}
