/*
 * PostgreSQL statement rules: libs/policy's match language (`StatementMatch`, rule inputs and
 * decisions are libs/policy's contract) over facts from PostgreSQL's own parser.
 *
 * Statement rules (guardrails = block, approval rules = hold) share one match language,
 * `StatementMatch`. A rule matches a statement when every condition it sets holds (AND); a list
 * condition holds when any entry matches (OR). Rules apply to nested statements too (DO blocks,
 * EXECUTE strings, CTEs, PREPARE bodies, EXPLAIN ANALYZE, function and procedure bodies at
 * CREATE, rule actions at CREATE RULE, view queries at CREATE VIEW, …). Every write counts as
 * its kind: `INSERT … ON CONFLICT DO UPDATE` is also an UPDATE, `COPY … FROM` also an INSERT,
 * MERGE also the UPDATE/DELETE/INSERT it performs.
 */
import type { CommandPolicyOptions } from '@postern/policy';
import type { AnalysisCache } from './cache.js';

/** Validates a rule body from the API or the wire. Throws PolicySpecError naming the field. */
export { compileStatementPolicy, parseStatementMatch } from './policy.js';

export interface StatementPolicyOptions extends CommandPolicyOptions {
  /**
   * Parse cache entries (distinct SQL strings). Default: the process-wide cache of 4096 entries,
   * shared by every policy so that it survives recompiles; setting it gives this policy its own.
   */
  cacheSize?: number;
  /** An explicit cache to use (e.g. one per agent); wins over cacheSize. */
  cache?: AnalysisCache;
}

/** Loads libpg-query's WebAssembly once; call before the first `evaluate`. */
export { initSqlParser } from './parser.js';

// Beyond the contract: the analysis itself (the agent uses COPY details for masking).
export type { CopyInfo, NestedVia, SqlAnalysis, StatementFacts } from './facts.js';
export { POSTGRES_NAMES } from './names.js';
export { POSTGRES_DIALECT, postgresAnalyser } from './dialect.js';
export { AnalysisCache, type AnalysisCacheOptions, analyzeCopy, analyzeSql, sharedAnalysisCache } from './cache.js';
export { type AnalysisLimits, DEFAULT_ANALYSIS_LIMITS } from './analyze.js';
export { canonicalStatementKind, STATEMENT_KIND_ALIASES, STATEMENT_KINDS } from './kinds.js';
