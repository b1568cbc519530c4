import type { AgentAuditKind, RecordingEventBodies } from '@postern/proto';
import type { SessionMasker } from '@postern/policy-postgres';
import type { ActivityExpectation, RequestMatcher } from './request-matcher.js';
import type { PostgresContext } from '../rules.js';

/** Statement text kept in audit events, reviews and recordings. */
const MAX_AUDITED_SQL = 4096;

/**
 * Stage 4 of the policy filter: activity recording. One `statement` event per Query or Execute
 * once the server answered it (or the session ended first), and the policy decisions as audit
 * events; every text it keeps is bounded and passed through the session's value detectors.
 */
export class ActivityRecorder {
  constructor(
    private readonly context: PostgresContext,
    private readonly requests: RequestMatcher,
  ) {}

  /** Statement text as audit events, reviews and recordings keep it: bounded, values masked. */
  shown(sql: string): string {
    return maskText(this.context.policy().masker, audited(sql));
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

  /** A statement refused by Postern (no rule, or the rule's id elsewhere): audited as blocked. */
  blocked(sql: string, reason: string): void {
    this.audit('statement.blocked', 'blocked', undefined, { sql: this.shown(sql), reason });
  }

  /** One `statement` event per Query or Execute, once the server has answered it. */
  record(done: ActivityExpectation): void {
    const masker = this.context.policy().masker;
    const sql = done.kind === 'query' ? done.sql : this.requests.sqlOfStatement(done.statement);
    const event: RecordingEventBodies['statement'] = {
      protocol: done.kind === 'query' ? 'simple' : 'extended',
      sql: maskText(masker, audited(sql)),
      durationMs: Date.now() - done.startedAt,
      rows: done.rows,
      tags: done.tags,
    };
    if (done.kind === 'execute') {
      if (done.statement !== '') event.statement = done.statement;
      if (done.params.length > 0) event.params = done.params.map((p) => maskText(masker, p));
    }
    if (done.error !== null) event.error = done.error;
    this.context.record('statement', event);
  }

  /**
   * The session is ending: statements sent to the server and never answered (the target died, the
   * client left mid-result) are recorded too, so the recording shows everything that reached it.
   */
  sessionEnded(reason: string): void {
    for (const pending of this.requests.unanswered()) {
      pending.error ??= { code: 'unanswered', message: `the session ended (${reason}) before the server answered` };
      this.record(pending);
    }
  }
}

/** A recorded value (SQL text, a parameter) with the session's value detectors applied. */
function maskText(masker: SessionMasker | null, text: string): string {
  return masker === null ? text : masker.maskText(text);
}

function audited(sql: string): string {
  return sql.length <= MAX_AUDITED_SQL ? sql : `${sql.slice(0, MAX_AUDITED_SQL)}…`;
}
