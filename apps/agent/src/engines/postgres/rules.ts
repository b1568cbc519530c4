import {
  MATCH_EVERY_COMMAND,
  parseMaskingSpec,
  type ApprovalRuleInput,
  type MaskingRuleInput,
  type StatementRuleInput,
} from '@postern/policy';
import {
  compileMaskingPolicy,
  compileStatementPolicy,
  parseStatementMatch,
  type SessionMasker,
} from '@postern/policy-postgres';
import type { CompiledRules, DialectRules, EngineContext, RuleCompileOptions, SessionRules } from '../engine.js';

/** What a PostgreSQL session is governed by: statement rules on libpg-query's tree, and its result masker. */
export interface PostgresSessionRules extends SessionRules {
  /** null: nothing is masked for this principal on this connection. */
  masker: SessionMasker | null;
}

/**
 * Turns the snapshot's PostgreSQL rules into libs/policy engines. The control plane validated
 * every rule when it was written; one that still does not load here (an older agent, a corrupted
 * push) must not silently stop applying, so it is replaced by its fail-closed stand-in: a
 * guardrail or approval rule that matches every statement, a masking rule that redacts every
 * column.
 */
export function compilePostgresRules(
  rules: DialectRules,
  { hashKey }: RuleCompileOptions,
): CompiledRules<PostgresSessionRules> {
  const problems: string[] = [];
  const guardrails: StatementRuleInput[] = rules.guardrails.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    match: statementMatch(rule.specJson, `guardrail ${rule.name}`, problems),
  }));
  const approvals: ApprovalRuleInput[] = rules.approvalRules.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    approverGroups: rule.approverGroups,
    requiredApprovals: Math.max(1, rule.requiredApprovals),
    timeoutSeconds: Math.max(1, rule.timeoutSeconds),
    match: statementMatch(rule.specJson, `approval rule ${rule.name}`, problems),
  }));
  const masking: MaskingRuleInput[] = rules.maskingRules.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    exemptGroups: rule.exemptGroups,
    spec: maskingSpec(rule.specJson, `masking rule ${rule.name}`, problems),
  }));
  const statements = compileStatementPolicy(guardrails, approvals);
  const masker = compileMaskingPolicy(masking, { hashKey });
  return {
    problems,
    forSession: (connectionId, groups) => ({
      statements: statements.forSession(connectionId, groups),
      masker: masker.forSession(connectionId, groups),
    }),
  };
}

function statementMatch(json: string, label: string, problems: string[]): StatementRuleInput['match'] {
  try {
    return parseStatementMatch(JSON.parse(json));
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    return MATCH_EVERY_COMMAND;
  }
}

function maskingSpec(json: string, label: string, problems: string[]): MaskingRuleInput['spec'] {
  try {
    return parseMaskingSpec(JSON.parse(json));
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    return { columns: ['*'], style: 'redact' };
  }
}

/** The context a PostgreSQL session is served with: its policy() carries PostgresSessionRules. */
export type PostgresContext = EngineContext<PostgresSessionRules>;
