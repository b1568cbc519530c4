/*
 * What the lineage analysis learns about a SQL string, independent of any masking rule: for each
 * result column, which table columns its value derives from, and where else values go (writes,
 * functions with side effects, objects created for later). The masking policy binds these facts
 * to its column rules (masking/lineage-plan.ts); the agent applies the plan per result.
 */

import type { ColumnSource } from '@postern/policy';

export type { ColumnSource };

/** Where one value comes from. */
export interface ValueLineage {
  readonly sources: readonly ColumnSource[];
  /**
   * A plain reference to one table column (through subqueries and CTEs): PostgreSQL itself names
   * that column in RowDescription, so the rule's own style applies.
   */
  readonly direct: boolean;
  /**
   * The value went through a function or operator that can reshape text (reverse, encode,
   * split_part…): value detectors can no longer be trusted to recognise it.
   */
  readonly transformed: boolean;
}

/** One item of a result's column list. */
export type OutputItem =
  | { readonly kind: 'value'; readonly lineage: ValueLineage }
  /**
   * Several columns of unknown number: `*` over a table (`table` set: every column is a direct
   * reference PostgreSQL names itself) or over something whose width the SQL does not say
   * (`(c).*`, a function's record).
   */
  | { readonly kind: 'columns'; readonly lineage: ValueLineage; readonly table: boolean };

/** A value that leaves through something other than the result. */
export interface Flow {
  /** What it flows into, for the refusal message: "INSERT INTO archive", "set_config()". */
  readonly into: string;
  readonly sources: readonly ColumnSource[];
  /** True when only computed values matter (PREPARE, DECLARE CURSOR: direct columns are named at EXECUTE/FETCH). */
  readonly computedOnly: boolean;
  /** The values were reshaped on the way (see ValueLineage.transformed). */
  readonly transformed: boolean;
  /**
   * The values are kept to be read later, with no lineage left then: a cursor, a prepared
   * statement, a view, a routine or rule body (DO blocks run now, writes store plain data).
   */
  readonly deferred: boolean;
}

export interface StatementLineage {
  /** The result's columns in order; null when the statement returns no rows or its result is not known here (EXECUTE, FETCH). */
  readonly outputs: readonly OutputItem[] | null;
  readonly flows: readonly Flow[];
  /** Columns read inside expressions or filters, and tables written: their values can surface in error and notice texts. */
  readonly reads: readonly ColumnSource[];
  /** Why what this statement reads cannot be known (SQL in a string, a body in another language…). */
  readonly opaque: readonly string[];
  /** `COPY (query) TO STDOUT`: the outputs are the COPY's columns (there is no RowDescription). */
  readonly copyToClient: boolean;
  /** …in binary format (its column types are not known here). */
  readonly copyBinary: boolean;
}

export type LineageAnalysis =
  | { readonly ok: true; readonly statements: readonly StatementLineage[] }
  /** `parseError`: the SQL does not parse (the server will say so); otherwise too complex to follow. */
  | { readonly ok: false; readonly message: string; readonly parseError: boolean };
