import {
  MATCH_EVERY_COMMAND,
  parseMaskingSpec,
  type ApprovalRuleInput,
  type MaskingRuleInput,
  type StatementRuleInput,
} from '@postern/policy';
import { compileStatementPolicy, parseStatementMatch } from '@postern/policy-mysql';
import type { CompiledRules, DialectRules, EngineContext, RuleCompileOptions, SessionRules } from '../engine.js';
import { compileMysqlMasking, type MysqlSessionMasker } from './masking.js';

/** What a MySQL session is governed by: statement rules on policy-mysql's analysis, and its result masker. */
export interface MysqlSessionRules extends SessionRules {
  /** null: nothing is masked for this principal on this connection. */
  masker: MysqlSessionMasker | null;
}

/** The context a MySQL session is served with: its policy() carries MysqlSessionRules. */
export type MysqlContext = EngineContext<MysqlSessionRules>;

/**
 * Turns the snapshot's MySQL rules into policy engines. A rule that does not load here is
 * replaced by its fail-closed stand-in (a statement rule matching every statement, a masking rule
 * redacting every column) and named in `problems`, as for PostgreSQL.
 */
export function compileMysqlRules(
  rules: DialectRules,
  { hashKey }: RuleCompileOptions,
): CompiledRules<MysqlSessionRules> {
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
  return { problems, ...compileMysqlPolicy({ guardrails, approvals, masking }, hashKey) };
}

/** Rules already in libs/policy's input form (tests, simulation) compiled for MySQL sessions. */
export function compileMysqlPolicy(
  rules: { guardrails: StatementRuleInput[]; approvals: ApprovalRuleInput[]; masking: MaskingRuleInput[] },
  hashKey: Buffer,
): Pick<CompiledRules<MysqlSessionRules>, 'forSession'> {
  const statements = compileStatementPolicy(rules.guardrails, rules.approvals);
  const masker = compileMysqlMasking(rules.masking, { hashKey });
  return {
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
