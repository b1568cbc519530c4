/*
 * What the analyser learns about a SQL string, independent of any rule. Computed once per
 * distinct string (and cached); rules are then matched against these facts only.
 */
import type { CommandAnalysis, CommandFacts, FunctionRef, QualifiedName } from '@postern/policy';

export type { FunctionRef };

/** How a nested statement is reached from the statement that contains it. */
export type NestedVia =
  | 'WITH'
  | 'DO'
  | 'EXECUTE'
  | 'PREPARE'
  | 'EXPLAIN ANALYZE'
  | 'DECLARE CURSOR'
  | 'COPY'
  | 'CREATE TABLE AS'
  | 'CREATE MATERIALIZED VIEW'
  | 'CREATE VIEW'
  | 'CREATE FUNCTION'
  | 'CREATE PROCEDURE'
  | 'CREATE RULE'
  | 'function argument';

/** `COPY` details for the agent (masking `COPY … TO STDOUT`, refusing unsupported forms). */
export interface CopyInfo {
  readonly direction: 'to' | 'from';
  /** `COPY rel [(cols)] …`; null for `COPY (query) TO …`. */
  readonly relation: QualifiedName | null;
  /** The column list, null when absent (all columns). */
  readonly columns: readonly string[] | null;
  /** True for `COPY (query) TO …`. */
  readonly query: boolean;
  /** STDIN/STDOUT, a server file, or a server program. */
  readonly target: 'stdio' | 'file' | 'program';
  /** File name or program command, null for stdio. */
  readonly location: string | null;
  readonly format: 'text' | 'csv' | 'binary';
  readonly delimiter: string | null;
  readonly null: string | null;
  readonly quote: string | null;
  readonly escape: string | null;
  readonly header: boolean | 'match';
  readonly encoding: string | null;
  /** Every option as written (lower-cased names; values as text, true for bare flags, "*" for all columns). */
  readonly options: Readonly<Record<string, string | boolean | readonly string[]>>;
}

/** PostgreSQL's command facts: the neutral ones plus COPY details and the nested statements. */
export interface StatementFacts extends CommandFacts {
  /** Kinds, most specific first, e.g. ["DROP TABLE", "DROP"]. */
  readonly kinds: readonly string[];
  /** Relations touched by this statement, including those of its nested statements. */
  readonly relations: readonly QualifiedName[];
  /** Schemas named explicitly (qualified names, DROP/CREATE SCHEMA, SET search_path, …). */
  readonly schemas: readonly string[];
  /** Functions called (anywhere, nested statements included). */
  readonly functions: readonly FunctionRef[];
  /** UPDATE/DELETE (or MERGE) that affects every row: no WHERE, or a WHERE that does not depend on the row. */
  readonly missingWhere: boolean;
  readonly copyProgram: boolean;
  /** This statement runs SQL text that could not be resolved (EXECUTE of a variable, …). */
  readonly unresolvedDynamicSql: boolean;
  readonly copy: CopyInfo | null;
  /** Statements this one executes: CTE DML, DO bodies, EXECUTE strings, PREPARE bodies, … */
  readonly nested: readonly StatementFacts[];
  /** How this statement is reached from its parent; null for a top-level statement. */
  readonly via: NestedVia | null;
}

/** `message`: libpg-query's message (or why the string was not analysed). */
export type SqlAnalysis = CommandAnalysis<StatementFacts>;
