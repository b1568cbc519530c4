import type { AnalysisCache } from './cache.js';

/*
 * CONTRACT (agreed with the agent and the control plane; implementation lives in this folder).
 *
 * Statement rules (guardrails = block, approval rules = hold) share one match language,
 * `StatementMatch`. A rule matches a statement when every condition it sets holds (AND); a list
 * condition holds when any entry matches (OR). Rules apply to nested statements too (DO blocks,
 * EXECUTE strings, CTEs, PREPARE bodies, EXPLAIN ANALYZE, function and procedure bodies at
 * CREATE, rule actions at CREATE RULE, view queries at CREATE VIEW, …). Every write counts as
 * its kind: `INSERT … ON CONFLICT DO UPDATE` is also an UPDATE, `COPY … FROM` also an INSERT,
 * MERGE also the UPDATE/DELETE/INSERT it performs.
 */
export interface StatementMatch {
  /** e.g. "DROP", "DROP TABLE", "TRUNCATE", "ALTER", "GRANT", "DELETE", "COPY", "DO", "CALL". */
  statementKinds?: string[];
  /** Relation patterns: "orders", "public.orders", "audit.*", "*" (quoted names are matched as written). */
  relations?: string[];
  /** Schema patterns, e.g. "pg_catalog", "billing". */
  schemas?: string[];
  /** Function patterns: "pg_read_file", "dblink*", "lo_export", "pg_catalog.pg_ls_dir". */
  functions?: string[];
  /**
   * UPDATE/DELETE/MERGE with no WHERE, or with a WHERE that is constant-true; an upsert whose rows
   * come from a query and whose DO UPDATE has no such WHERE.
   */
  missingWhere?: boolean;
  /** COPY … TO/FROM PROGRAM. */
  copyProgram?: boolean;
  /** Dynamic SQL whose text cannot be resolved (EXECUTE of a non-constant, etc.). */
  unresolvedDynamicSql?: boolean;
  /**
   * Calls a function that is not a PostgreSQL built-in (extensions, functions created earlier or
   * by others, anything schema-qualified other than pg_catalog): its body was never checked.
   */
  userFunctions?: boolean;
}

/** Validates a rule body from the API or the wire. Throws PolicySpecError naming the field. */
export { parseStatementMatch } from './match.js';

export interface StatementRuleInput {
  id: string;
  name: string;
  /** Empty: every connection. */
  connectionIds: string[];
  /** Whose statements the rule applies to; empty: everyone. */
  groups: string[];
  match: StatementMatch;
}

export interface ApprovalRuleInput extends StatementRuleInput {
  approverGroups: string[];
  requiredApprovals: number;
  timeoutSeconds: number;
}

export type StatementDecision =
  | { action: 'allow' }
  | { action: 'block'; rule: { id: string; name: string }; reason: string }
  | { action: 'hold'; rule: ApprovalRuleInput; reason: string }
  /** The SQL does not parse (libpg-query's message): refused without reaching the target. */
  | { action: 'invalid'; message: string; position: number | null };

export interface StatementPolicyOptions {
  /** What an unparseable string gets. Default "block" (fail closed). */
  unparseable?: 'block' | 'forward';
  /**
   * Parse cache entries (distinct SQL strings). Default: the process-wide cache of 4096 entries,
   * shared by every policy so that it survives recompiles; setting it gives this policy its own.
   */
  cacheSize?: number;
  /** An explicit cache to use (e.g. one per agent); wins over cacheSize. */
  cache?: AnalysisCache;
}

/**
 * Compiled statement rules. `evaluate` is synchronous and pure apart from its parse cache:
 * repeated SQL strings cost one parse. Blocks win over holds; a multi-statement string is
 * blocked (or held) as a whole when any statement in it is.
 */
export interface StatementPolicy {
  /** Rules that apply to this principal on this connection, precomputed once per session. */
  forSession(connectionId: string, groups: readonly string[]): SessionStatementPolicy;
}

export interface SessionStatementPolicy {
  /** True when no rule applies: the engine may skip evaluation entirely. */
  readonly empty: boolean;
  evaluate(sql: string): StatementDecision;
}

/** Loads libpg-query's WebAssembly once; call before the first `evaluate`. */
export { initSqlParser } from './parser.js';

export { compileStatementPolicy } from './policy.js';

// Beyond the contract: the analysis itself (the agent uses COPY details for masking).
export type { CopyInfo, FunctionRef, NestedVia, SqlAnalysis, StatementFacts } from './facts.js';
export type { QualifiedName } from './names.js';
export { AnalysisCache, type AnalysisCacheOptions, analyzeCopy, analyzeSql, sharedAnalysisCache } from './cache.js';
export { type AnalysisLimits, DEFAULT_ANALYSIS_LIMITS } from './analyze.js';
export { canonicalStatementKind, STATEMENT_KIND_ALIASES, STATEMENT_KINDS } from './kinds.js';
