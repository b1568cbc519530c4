/*
 * PostgreSQL as a command dialect of the neutral rule model (libs/policy): its statement kinds,
 * how it writes names, and its analyser (libpg-query, cached).
 */
import type { CommandAnalyser, CommandDialect } from '@postern/policy';
import { type AnalysisCache, sharedAnalysisCache } from './cache.js';
import type { NestedVia, StatementFacts } from './facts.js';
import { canonicalStatementKind } from './kinds.js';
import { POSTGRES_NAMES } from './names.js';

const VIA_TEXT: Readonly<Record<NestedVia, string>> = {
  WITH: 'a WITH clause',
  DO: 'a DO block',
  EXECUTE: 'dynamic SQL (EXECUTE)',
  PREPARE: 'PREPARE',
  'EXPLAIN ANALYZE': 'EXPLAIN ANALYZE',
  'DECLARE CURSOR': 'DECLARE CURSOR',
  COPY: 'COPY',
  'CREATE TABLE AS': 'CREATE TABLE AS',
  'CREATE MATERIALIZED VIEW': 'CREATE MATERIALIZED VIEW',
  'CREATE VIEW': 'the query of CREATE VIEW',
  'CREATE FUNCTION': 'the body of CREATE FUNCTION',
  'CREATE PROCEDURE': 'the body of CREATE PROCEDURE',
  'CREATE RULE': 'the actions of CREATE RULE',
  'function argument': 'SQL passed to a function',
};

export const POSTGRES_DIALECT: CommandDialect = {
  name: 'postgres',
  canonicalKind: canonicalStatementKind,
  names: POSTGRES_NAMES,
  describeVia: (via) => VIA_TEXT[via as NestedVia] ?? via,
};

/** The PostgreSQL analyser over a parse cache (default: the process-wide one). */
export function postgresAnalyser(cache: AnalysisCache = sharedAnalysisCache): CommandAnalyser<StatementFacts> {
  return { dialect: POSTGRES_DIALECT, analyze: (sql) => cache.analyze(sql) };
}
