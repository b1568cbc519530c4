/*
 * PostgreSQL statement rules: libs/policy's match language compiled against the PostgreSQL
 * dialect, facts from libpg-query through the parse cache.
 */
import {
  compileCommandPolicy,
  parseCommandMatch,
  type ApprovalRuleInput,
  type StatementMatch,
  type StatementPolicy,
  type StatementRuleInput,
} from '@postern/policy';
import { AnalysisCache, sharedAnalysisCache } from './cache.js';
import { POSTGRES_DIALECT, postgresAnalyser } from './dialect.js';
import type { StatementPolicyOptions } from './index.js';

/** Throws PolicySpecError (path like "guardrails[2].match.relations[0]") on an invalid rule. */
export function compileStatementPolicy(
  guardrails: StatementRuleInput[],
  approvals: ApprovalRuleInput[],
  options: StatementPolicyOptions = {},
): StatementPolicy {
  const cache =
    options.cache ??
    (options.cacheSize === undefined ? sharedAnalysisCache : new AnalysisCache({ maxEntries: options.cacheSize }));
  const unparseable = options.unparseable ?? 'block';
  return compileCommandPolicy(postgresAnalyser(cache), guardrails, approvals, { unparseable });
}

/**
 * Validates a rule body from the API or the wire as PostgreSQL rules read it. Throws
 * PolicySpecError naming the field (prefixed with `path`); kinds come back canonical.
 */
export function parseStatementMatch(spec: unknown, path = ''): StatementMatch {
  return parseCommandMatch(POSTGRES_DIALECT, spec, path);
}
