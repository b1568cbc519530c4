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
  /**
   * `name`: the alias or column name; null for an unaliased expression. `named`: the result's
   * metadata (org_table, org_name) names the source column — a plain column of a table in the
   * query's own FROM. Through a derived table or a CTE MariaDB names the derived alias instead
   * (`SELECT x.m FROM (SELECT email AS m FROM customers) x` says `x.m`): only lineage knows.
   */
  | { readonly kind: 'value'; readonly name: string | null; readonly lineage: ValueLineage; readonly named: boolean }
  /**
   * Several columns of unknown number: `*`/`t.*`. `named`: over a table of the query's own FROM,
   * so the metadata names each column; otherwise (through a derived table, a CTE, a UNION, or
   * something the analysis cannot read) the positions cannot be tied to `sources`.
   */
  | { readonly kind: 'columns'; readonly lineage: ValueLineage; readonly named: boolean };

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
