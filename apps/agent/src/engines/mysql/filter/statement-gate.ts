import type { StatementDecision } from '@postern/policy';
import { analyzeSql } from '@postern/policy-mysql';
import { Errors, type MysqlError } from '../errors.js';
import type { MysqlContext } from '../rules.js';
import type { Activity } from './activity.js';

/** What happens to a statement: on to the target, refused with an ERR, or dropped (the session ends). */
export type GateVerdict =
  { action: 'admit' } | { action: 'refuse'; error: MysqlError; message: string } | { action: 'drop' };

const ADMIT: GateVerdict = { action: 'admit' };
const ALLOW: StatementDecision = { action: 'allow' };

/** The database a session is scoped to: the target's, and the connection's name as its alias. */
export interface DatabaseScope {
  database: string;
  connectionName: string;
}

/**
 * The statement stage: every COM_QUERY and COM_STMT_PREPARE text is checked before it reaches the
 * target — a switch to another database refused, then the rules: allowed, blocked, held for a
 * human decision (the verdict is a promise the proxy's client lane waits on), or refused as
 * unreadable.
 */
export class StatementGate {
  readonly tally = { allowed: 0, refused: new Map<string, number>() };

  constructor(
    private readonly context: MysqlContext,
    private readonly activity: Activity,
    private readonly scope: DatabaseScope,
  ) {}

  check(sql: string): GateVerdict | Promise<GateVerdict> {
    const away = this.otherDatabase(sql);
    if (away !== null) {
      this.activity.blocked(sql, 'switches to another database');
      return { action: 'refuse', error: Errors.DatabaseAccessDenied, message: databaseRefusal(away, this.scope) };
    }
    const statements = this.context.policy().statements;
    const decision = statements.empty ? ALLOW : statements.evaluate(sql);
    switch (decision.action) {
      case 'allow':
        this.tally.allowed++;
        return ADMIT;
      case 'block':
        this.count(decision.rule.id);
        this.activity.audit('statement.blocked', 'blocked', decision.rule.id, {
          sql: this.activity.shown(sql),
          rule: decision.rule.name,
          reason: decision.reason,
        });
        return {
          action: 'refuse',
          error: Errors.StatementDenied,
          message: `Postern rule "${decision.rule.name}" blocked this statement: ${decision.reason}`,
        };
      case 'invalid':
        this.activity.blocked(sql, decision.message);
        return { action: 'refuse', error: Errors.ParseError, message: `Postern: ${decision.message}` };
      case 'hold':
        return this.hold(decision, sql);
    }
  }

  /** Holds the statement (and, by the proxy's lane, everything the client sent after it) for a human. */
  private async hold(decision: Extract<StatementDecision, { action: 'hold' }>, sql: string): Promise<GateVerdict> {
    const { rule } = decision;
    const shown = this.activity.shown(sql);
    const { reviewId, outcome } = this.context.requestApproval({ rule, command: shown });
    this.activity.audit('statement.held', 'held', rule.id, { sql: shown, reviewId, reason: decision.reason });
    const result = await outcome;
    if (result.outcome === 'cancelled') return { action: 'drop' };
    const details = { reviewId, decidedBy: result.decidedBy, comment: result.comment };
    if (result.outcome === 'approved') {
      this.tally.allowed++;
      this.activity.audit('statement.approved', 'approved', rule.id, details);
      return ADMIT;
    }
    this.count(rule.id);
    this.activity.audit(`statement.${result.outcome}`, result.outcome, rule.id, details);
    const why =
      result.outcome === 'rejected'
        ? `rejected by ${result.decidedBy || 'a reviewer'}${result.comment ? `: ${result.comment}` : ''}`
        : 'no approval in time';
    return {
      action: 'refuse',
      error: Errors.StatementDenied,
      message: `Postern: statement not approved (review ${reviewId}): ${why}`,
    };
  }

  /**
   * The database a `USE` in the text switches to, when it is not the connection's own. A session
   * stays in its connection's database whatever the target user's grants.
   */
  private otherDatabase(sql: string): string | null {
    if (!/\buse\b/i.test(sql)) return null;
    const analysis = analyzeSql(sql);
    if (!analysis.ok) return null; // the statement rules refuse what cannot be read
    for (const statement of analysis.all) {
      if (!statement.kinds.includes('USE')) continue;
      const schema = statement.schemas[0] ?? '';
      if (schema !== this.scope.database && schema !== this.scope.connectionName) return schema;
    }
    return null;
  }

  /**
   * Whether `sql` is one `USE` of the connection's Postern name where that name is not the target
   * database's: the filter sends it on as a `USE` of the target database (as it does COM_INIT_DB).
   */
  usesConnectionName(sql: string): boolean {
    if (this.scope.connectionName === this.scope.database || !/\buse\b/i.test(sql)) return false;
    const analysis = analyzeSql(sql);
    if (!analysis.ok || analysis.all.length !== 1) return false;
    const [statement] = analysis.all;
    return statement!.kinds.includes('USE') && statement!.schemas[0] === this.scope.connectionName;
  }

  private count(ruleId: string): void {
    this.tally.refused.set(ruleId, (this.tally.refused.get(ruleId) ?? 0) + 1);
  }
}

/** The ERR text for a switch to a database other than the connection's. */
export function databaseRefusal(wanted: string, scope: DatabaseScope): string {
  return `Access denied to database '${wanted.slice(0, 64)}': Postern connection '${scope.connectionName}' is scoped to its own database`;
}
