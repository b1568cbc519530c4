/*
 * MySQL/MariaDB as a command dialect of the neutral rule model (libs/policy): its statement
 * kinds, names, flags, and its analyser (token pre-pass + sqlparser-rs, cached).
 */
import type { CommandAnalyser, CommandDialect } from '@postern/policy';
import { type AnalysisCache, sharedAnalysisCache } from './cache.js';
import { MYSQL_FLAGS, type NestedVia, type StatementFacts } from './facts.js';
import { canonicalStatementKind } from './kinds.js';
import { MYSQL_NAMES } from './names.js';

const VIA_TEXT: Readonly<Record<NestedVia, string>> = {
  PREPARE: 'PREPARE',
  'EXECUTE IMMEDIATE': 'EXECUTE IMMEDIATE',
  'SET STATEMENT': 'SET STATEMENT … FOR',
  ANALYZE: 'ANALYZE (which runs it)',
  'CREATE PROCEDURE': 'the body of CREATE PROCEDURE',
  'CREATE FUNCTION': 'the body of CREATE FUNCTION',
  'CREATE TRIGGER': 'the body of CREATE TRIGGER',
  'CREATE EVENT': 'the body of CREATE EVENT',
  'ALTER EVENT': 'the body of ALTER EVENT',
  'CREATE PACKAGE': 'the body of CREATE PACKAGE',
  COMPOUND: 'a compound statement (BEGIN NOT ATOMIC, IF, LOOP…)',
};

export const MYSQL_DIALECT: CommandDialect = {
  name: 'mysql',
  canonicalKind: canonicalStatementKind,
  names: MYSQL_NAMES,
  describeVia: (via) => VIA_TEXT[via as NestedVia] ?? via,
  flags: MYSQL_FLAGS,
};

/** The MySQL analyser over a parse cache (default: the process-wide one). */
export function mysqlAnalyser(cache: AnalysisCache = sharedAnalysisCache): CommandAnalyser<StatementFacts> {
  return { dialect: MYSQL_DIALECT, analyze: (sql) => cache.analyze(sql) };
}
