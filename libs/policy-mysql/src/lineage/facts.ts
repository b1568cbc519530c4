/*
 * What the lineage analysis learns about a SELECT, independent of any masking rule: for each
 * result column, which table columns its value derives from. The masking plan binds these facts
 * to column rules; plain columns are also named by the result's own metadata (org_table,
 * org_name), which the wire engine reads.
 */
import type { ColumnSource } from '@postern/policy';

export type { ColumnSource };

/** Where one value comes from. */
export interface ValueLineage {
  readonly sources: readonly ColumnSource[];
  /** A plain reference to one table column (through aliases, derived tables and CTEs). */
  readonly direct: boolean;
  /** Went through a function or operator that can reshape text: value detectors may miss it. */
  readonly transformed: boolean;
}

/** One item of a result's column list. */
export type OutputItem =
  /** `name`: the alias or column name; null for an unaliased expression. */
  | { readonly kind: 'value'; readonly name: string | null; readonly lineage: ValueLineage }
  /**
   * Several columns of unknown number: `*`/`t.*` over a table (`table`: every column is a plain
   * column that the result's metadata names — it needs that metadata), or something this
   * analysis cannot read (`table` false: refuse masked results, or mask every column).
   */
  | { readonly kind: 'columns'; readonly lineage: ValueLineage; readonly table: boolean };

export interface StatementLineage {
  /** The result's columns in order; null when the statement is not a query. */
  readonly outputs: readonly OutputItem[] | null;
  /** Why part of the query could not be followed (a table function in FROM…). */
  readonly opaque: readonly string[];
}

export type LineageAnalysis =
  | { readonly ok: true; readonly statements: readonly StatementLineage[] }
  /** `parseError`: the text does not lex or parse here (the statement guardrails say `unparsable`). */
  | { readonly ok: false; readonly message: string; readonly parseError: boolean };
