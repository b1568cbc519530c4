/*
 * What the analyser learns about a SQL string, independent of any rule. Computed once per
 * distinct string (and cached); rules are then matched against these facts only.
 */
import type { QualifiedName } from './names.js';

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

export interface FunctionRef extends QualifiedName {
  /** Found as `x.name` / `(x).name`, which PostgreSQL may resolve as the call `name(x)`. */
  readonly attributeNotation: boolean;
  /** A PostgreSQL built-in (builtin-functions.ts); otherwise its body is one the gateway never saw. */
  readonly builtin: boolean;
}

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

export interface StatementFacts {
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

export type SqlAnalysis =
  | {
      readonly ok: true;
      /** Top-level statements in order. */
      readonly statements: readonly StatementFacts[];
      /** Every statement, top-level and nested, depth first (what rules are matched against). */
      readonly all: readonly StatementFacts[];
    }
  | {
      readonly ok: false;
      /** libpg-query's message (or why the string was not analysed). */
      readonly message: string;
      /** 0-based character offset of the error, when known. */
      readonly position: number | null;
      /**
       * The SQL may be valid but cannot be checked (a NUL character, beyond the analysis bounds,
       * parser not loaded): refused even when unparseable SQL is forwarded.
       */
      readonly uncheckable: boolean;
    };
