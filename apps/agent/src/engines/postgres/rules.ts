import {
  compileMaskingPolicy,
  compileStatementPolicy,
  parseStatementMatch,
  type SessionMasker,
} from '@postern/policy-postgres';
import { ruleInputs } from '../../policy/rule-inputs.js';
import type { CompiledRules, DialectRules, EngineContext, RuleCompileOptions, SessionRules } from '../engine.js';

/** What a PostgreSQL session is governed by: statement rules on libpg-query's tree, and its result masker. */
export interface PostgresSessionRules extends SessionRules {
  /** null: nothing is masked for this principal on this connection. */
  masker: SessionMasker | null;
}

/** The snapshot's PostgreSQL rules compiled with libpg-query's analyser (fail-closed: ruleInputs). */
export function compilePostgresRules(
  rules: DialectRules,
  { hashKey }: RuleCompileOptions,
): CompiledRules<PostgresSessionRules> {
  const { guardrails, approvals, masking, problems } = ruleInputs(rules, (body) => parseStatementMatch(body));
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

/** The context a PostgreSQL session is served with: its policy() carries PostgresSessionRules. */
export type PostgresContext = EngineContext<PostgresSessionRules>;
