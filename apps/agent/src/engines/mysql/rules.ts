import type { ApprovalRuleInput, MaskingRuleInput, StatementRuleInput } from '@postern/policy';
import { compileStatementPolicy, parseStatementMatch } from '@postern/policy-mysql';
import { ruleInputs } from '../../policy/rule-inputs.js';
import type { CompiledRules, DialectRules, EngineContext, RuleCompileOptions, SessionRules } from '../engine.js';
import { compileMysqlMasking, type MysqlSessionMasker } from './masking.js';

/** What a MySQL session is governed by: statement rules on policy-mysql's analysis, and its result masker. */
export interface MysqlSessionRules extends SessionRules {
  /** null: nothing is masked for this principal on this connection. */
  masker: MysqlSessionMasker | null;
}

/** The context a MySQL session is served with: its policy() carries MysqlSessionRules. */
export type MysqlContext = EngineContext<MysqlSessionRules>;

/** The snapshot's MySQL rules compiled with policy-mysql's analyser (fail-closed: ruleInputs). */
export function compileMysqlRules(
  rules: DialectRules,
  { hashKey }: RuleCompileOptions,
): CompiledRules<MysqlSessionRules> {
  const { problems, ...inputs } = ruleInputs(rules, (body) => parseStatementMatch(body));
  return { problems, ...compileMysqlPolicy(inputs, hashKey) };
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
