/*
 * What the analyser learns about a MySQL/MariaDB text, independent of any rule: libs/policy's
 * neutral facts plus MySQL's own (flags, variables, prepared statements, nested statements).
 */
import type { CommandAnalysis, CommandFacts, FunctionRef, QualifiedName } from '@postern/policy';
import type { VariableAssignment } from './prepass.js';

export type { FunctionRef, QualifiedName, VariableAssignment };

/** How a nested statement is reached from the statement that contains it. */
export type NestedVia =
  | 'PREPARE'
  | 'EXECUTE IMMEDIATE'
  | 'SET STATEMENT'
  | 'ANALYZE'
  | 'CREATE PROCEDURE'
  | 'CREATE FUNCTION'
  | 'CREATE TRIGGER'
  | 'CREATE EVENT'
  | 'ALTER EVENT'
  | 'CREATE PACKAGE'
  | 'COMPOUND';

/**
 * MySQL-specific conditions a rule can name in `flags` (libs/policy's dialect flags), with the
 * words a reason uses for each.
 */
export const MYSQL_FLAGS = {
  executableComment: 'hidden in an executable comment (/*! … */)',
  multiStatement: 'in a multi-statement text',
  unparsable: 'that the SQL parser could not read',
  loadData: 'loading a file (LOAD DATA/LOAD XML)',
  localFile: 'reading a file from the client (LOCAL INFILE)',
  serverFile: 'reading or writing a file on the server',
  writesFile: 'writing a file on the server (INTO OUTFILE/DUMPFILE)',
  prepared: 'using a prepared statement',
  systemVariable: 'setting a server variable',
  globalVariable: 'setting a global server variable',
  sqlMode: 'changing sql_mode',
  binlog: 'changing sql_log_bin',
  otherQuoting: 'when read with sql_mode NO_BACKSLASH_ESCAPES',
} as const;

export type MysqlFlag = keyof typeof MYSQL_FLAGS;

export interface StatementFacts extends CommandFacts {
  readonly flags: readonly MysqlFlag[];
  readonly nested: readonly StatementFacts[];
  readonly via: NestedVia | null;
  /** Offsets of the statement in the analysed text (for nested statements: in their own text). */
  readonly start: number;
  readonly end: number;
  /** The statement as the server runs it: comments blanked, executable comments unwrapped. */
  readonly code: string;
  /** The parser's message when `unparsable`; null otherwise. */
  readonly parserMessage: string | null;
  /** UPDATE/DELETE … LIMIT n. */
  readonly limited: boolean;
  /** Variables assigned by SET. */
  readonly variables: readonly VariableAssignment[];
  /** PREPARE name FROM …. */
  readonly prepareName: string | null;
  /** EXECUTE name: runs the statement prepared under that name (checked at its PREPARE). */
  readonly executeName: string | null;
}

export type MysqlAnalysis = CommandAnalysis<StatementFacts>;
