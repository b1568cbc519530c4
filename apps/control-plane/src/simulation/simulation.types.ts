import type { ApprovalRuleFields, GuardrailFields, MaskingRuleFields } from '../rules/rule-validation.js';

/** What the policy then in force did to a recorded statement, as its recording tells. */
export type RecordedDecision = 'allowed' | 'held' | 'blocked';
/** What the proposed policy would do; `invalid`: the recorded SQL does not parse (or was cut). */
export type SimulatedDecision = 'allowed' | 'held' | 'blocked' | 'invalid';

export interface SimulationRequest {
  from: Date;
  to: Date;
  /** Empty: every PostgreSQL connection. */
  connectionIds: string[];
  guardrails: GuardrailFields[];
  approvalRules: ApprovalRuleFields[];
  maskingRules: MaskingRuleFields[];
  maxSessions?: number | null | undefined;
  maxStatements?: number | null | undefined;
}

/** A session whose recording is replayed. */
export interface SimulatedSession {
  id: string;
  connectionId: string;
  principalId: string;
  principalName: string | null;
  startedAt: Date;
  purged: boolean;
}

export interface RuleExample {
  sessionId: string;
  at: Date;
  /** The recorded SQL, cut to 200 characters. */
  sql: string;
  reason: string;
  recorded: RecordedDecision;
}

export interface StatementRuleOutcome {
  index: number;
  name: string;
  enabled: boolean;
  /** Statements this rule would block (guardrail) or hold (approval rule). */
  statements: number;
  sessions: number;
  examples: RuleExample[];
}

export interface MaskingScopeExample {
  sessionId: string;
  connectionId: string;
  principal: string;
}

export interface MaskingRuleOutcome {
  index: number;
  name: string;
  enabled: boolean;
  /** Sessions whose results the rule would have masked (connection in scope, principal not exempt). */
  sessions: number;
  /** Statements run in those sessions (their results would have passed through the masker). */
  statements: number;
  examples: MaskingScopeExample[];
}

export interface SimulationTotals {
  allowed: number;
  blocked: number;
  held: number;
  invalid: number;
}

/** Recorded decision against simulated decision. */
export interface DecisionChanges {
  recordedBlocked: number;
  recordedHeld: number;
  /** Blocked under the proposal, not blocked when recorded. */
  newlyBlocked: number;
  /** Held under the proposal, allowed without approval when recorded. */
  newlyHeld: number;
  /** Allowed under the proposal, blocked or held when recorded. */
  newlyAllowed: number;
}

export interface PolicySimulation {
  from: Date;
  to: Date;
  sessions: number;
  /** Sessions in the window whose recording is gone (retention) or unreadable. */
  sessionsWithoutRecording: number;
  /** Sessions whose recording has no session.start: evaluated as a principal without groups. */
  sessionsWithoutGroups: number;
  statements: number;
  /** A limit (sessions, statements or bytes read) stopped the replay early. */
  truncated: boolean;
  totals: SimulationTotals;
  changes: DecisionChanges;
  guardrails: StatementRuleOutcome[];
  approvalRules: StatementRuleOutcome[];
  maskingRules: MaskingRuleOutcome[];
  notes: string[];
}
