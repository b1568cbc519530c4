import type { StatementDecision } from '@postern/policy';
import type { RuleRecord } from '../rules/rule.types.js';
import type { RecordedStatement } from './recorded-session.js';
import type {
  DecisionChanges,
  MaskingRuleOutcome,
  RuleExample,
  SimulatedSession,
  SimulationTotals,
  StatementRuleOutcome,
} from './simulation.types.js';

export const EXAMPLES_PER_RULE = 5;
const EXAMPLE_SQL_CHARS = 200;

/** Synthetic rule ids handed to libs/policy, to find the proposed rule again in its decisions. */
export const ruleId = (kind: 'guardrail' | 'approval', index: number) => `proposed-${kind}-${index}`;

/** The per-session facts of a masking rule's scope (mirrors libs/policy's compileMaskingPolicy). */
export function maskingApplies(rule: RuleRecord, connectionId: string, groups: readonly string[]): boolean {
  const onConnection = rule.connectionIds.length === 0 || rule.connectionIds.includes(connectionId);
  return onConnection && !rule.groups.some((g) => groups.includes(g));
}

/**
 * Counts what a proposed policy would have done to recorded statements: totals, recorded vs
 * simulated decision, and per rule the statements, sessions and a few examples. Pure.
 */
export class SimulationTally {
  readonly totals: SimulationTotals = { allowed: 0, blocked: 0, held: 0, invalid: 0 };
  readonly changes: DecisionChanges = {
    recordedBlocked: 0,
    recordedHeld: 0,
    newlyBlocked: 0,
    newlyHeld: 0,
    newlyAllowed: 0,
  };
  readonly guardrails: StatementRuleOutcome[];
  readonly approvalRules: StatementRuleOutcome[];
  readonly maskingRules: MaskingRuleOutcome[];
  private readonly ruleSessions = new Map<string, Set<string>>();
  /** Synthetic rule id → its outcome. */
  private readonly byRuleId = new Map<string, StatementRuleOutcome>();

  constructor(
    guardrails: readonly RuleRecord[],
    approvals: readonly RuleRecord[],
    private readonly masking: readonly RuleRecord[],
  ) {
    const outcome = (rule: RuleRecord, index: number): StatementRuleOutcome => ({
      index,
      name: rule.name,
      enabled: rule.enabled,
      statements: 0,
      sessions: 0,
      examples: [],
    });
    this.guardrails = guardrails.map(outcome);
    this.approvalRules = approvals.map(outcome);
    this.guardrails.forEach((o, i) => this.byRuleId.set(ruleId('guardrail', i), o));
    this.approvalRules.forEach((o, i) => this.byRuleId.set(ruleId('approval', i), o));
    this.maskingRules = masking.map((rule, index) => ({
      index,
      name: rule.name,
      enabled: rule.enabled,
      sessions: 0,
      statements: 0,
      examples: [],
    }));
  }

  /** A session about to be replayed: returns the masking rules (indexes) in scope for it. */
  session(session: SimulatedSession, groups: readonly string[]): number[] {
    const inScope: number[] = [];
    this.masking.forEach((rule, index) => {
      if (!rule.enabled || !maskingApplies(rule, session.connectionId, groups)) return;
      inScope.push(index);
      const outcome = this.maskingRules[index]!;
      outcome.sessions += 1;
      if (outcome.examples.length < EXAMPLES_PER_RULE) {
        outcome.examples.push({
          sessionId: session.id,
          connectionId: session.connectionId,
          principal: session.principalName ?? session.principalId,
        });
      }
    });
    return inScope;
  }

  statement(sessionId: string, statement: RecordedStatement, decision: StatementDecision, masking: number[]): void {
    for (const index of masking) this.maskingRules[index]!.statements += 1;
    const { recorded } = statement;
    if (recorded === 'blocked') this.changes.recordedBlocked += 1;
    if (recorded === 'held') this.changes.recordedHeld += 1;
    switch (decision.action) {
      case 'allow':
        this.totals.allowed += 1;
        if (recorded !== 'allowed') this.changes.newlyAllowed += 1;
        return;
      case 'invalid':
        this.totals.invalid += 1;
        return;
      case 'block':
        this.totals.blocked += 1;
        if (recorded !== 'blocked') this.changes.newlyBlocked += 1;
        this.count(decision.rule.id, sessionId, statement, decision.reason);
        return;
      case 'hold':
        this.totals.held += 1;
        if (recorded === 'allowed') this.changes.newlyHeld += 1;
        this.count(decision.rule.id, sessionId, statement, decision.reason);
        return;
    }
  }

  private count(id: string, sessionId: string, statement: RecordedStatement, reason: string): void {
    const outcome = this.byRuleId.get(id);
    if (!outcome) return;
    outcome.statements += 1;
    const sessions = this.ruleSessions.get(id) ?? new Set<string>();
    this.ruleSessions.set(id, sessions);
    if (!sessions.has(sessionId)) {
      sessions.add(sessionId);
      outcome.sessions += 1;
    }
    if (outcome.examples.length < EXAMPLES_PER_RULE) outcome.examples.push(example(sessionId, statement, reason));
  }
}

function example(sessionId: string, statement: RecordedStatement, reason: string): RuleExample {
  const sql =
    statement.sql.length > EXAMPLE_SQL_CHARS ? `${statement.sql.slice(0, EXAMPLE_SQL_CHARS)}…` : statement.sql;
  return { sessionId, at: statement.at, sql, reason, recorded: statement.recorded };
}
