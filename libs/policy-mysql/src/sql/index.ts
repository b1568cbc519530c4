/*
 * MySQL/MariaDB statement rules: libs/policy's match language (`StatementMatch`, rule inputs and
 * decisions are libs/policy's contract) over facts from a fail-closed token pre-pass (executable
 * comments unwrapped, statements split, files, prepared statements, variables) and sqlparser-rs.
 */
export { compileStatementPolicy, parseStatementMatch, type StatementPolicyOptions } from './policy.js';
export { initSqlParser, sqlParserReady } from './parser.js';
export { MYSQL_FLAGS, type MysqlAnalysis, type MysqlFlag, type NestedVia, type StatementFacts } from './facts.js';
export type { VariableAssignment } from './prepass.js';
export { MYSQL_NAMES } from './names.js';
export { MYSQL_DIALECT, mysqlAnalyser } from './dialect.js';
export { AnalysisCache, type AnalysisCacheOptions, analyzeSql, sharedAnalysisCache } from './cache.js';
export { type AnalysisLimits, analyzeMysqlText, DEFAULT_ANALYSIS_LIMITS } from './analyze.js';
export { canonicalStatementKind, STATEMENT_KIND_ALIASES, STATEMENT_KINDS } from './kinds.js';
export { lex, type ExecutableComment, type LexOptions, type LexResult, type Token } from './lexer.js';
