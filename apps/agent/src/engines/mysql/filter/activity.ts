import type { AgentAuditKind, RecordingEventBodies } from '@postern/proto';
import type { MysqlContext } from '../rules.js';

/** Statement text kept in audit events, reviews and recordings. */
const MAX_AUDITED_SQL = 4096;

/** What one answered COM_QUERY / COM_STMT_EXECUTE leaves in the recording. */
export interface AnsweredStatement {
  kind: 'query' | 'execute';
  sql: string | null;
  statementId: number | null;
  params: string[] | null;
  startedAt: number;
  rows: number;
  error: { code: string; message: string } | null;
}

/**
 * The activity stage: audit events for decisions and one `statement` recording event per
 * answered COM_QUERY / COM_STMT_EXECUTE. Every text it keeps is bounded and passed through the
 * session's value detectors.
 */
export class Activity {
  constructor(private readonly context: MysqlContext) {}

  /** Statement text as audit events, reviews and recordings keep it: bounded, values masked. */
  shown(sql: string): string {
    const bounded = sql.length <= MAX_AUDITED_SQL ? sql : `${sql.slice(0, MAX_AUDITED_SQL)}…`;
    return this.masked(bounded);
  }

  audit(kind: AgentAuditKind, decision: string, ruleId: string | undefined, details: Record<string, unknown>): void {
    this.context.audit({
      kind,
      decision,
      ...(ruleId === undefined ? {} : { ruleId }),
      policyVersion: this.context.policy().version,
      details,
    });
  }

  /** A statement refused by Postern itself (no rule): audited as blocked. */
  blocked(sql: string, reason: string): void {
    this.audit('statement.blocked', 'blocked', undefined, { sql: this.shown(sql), reason });
  }

  record(done: AnsweredStatement): void {
    const event: RecordingEventBodies['statement'] = {
      protocol: done.kind === 'query' ? 'simple' : 'extended',
      sql: done.sql === null ? '(a statement prepared before)' : this.shown(done.sql),
      durationMs: Date.now() - done.startedAt,
      rows: done.rows,
      tags: [done.kind === 'query' ? 'COM_QUERY' : 'COM_STMT_EXECUTE'],
    };
    if (done.statementId !== null) event.statement = String(done.statementId);
    if (done.params !== null && done.params.length > 0) event.params = done.params.map((p) => this.masked(p));
    if (done.error !== null) event.error = done.error;
    this.context.record('statement', event);
  }

  private masked(text: string): string {
    const masker = this.context.policy().masker;
    return masker === null ? text : masker.maskText(text);
  }
}
