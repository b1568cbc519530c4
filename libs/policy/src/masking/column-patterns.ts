import type { ColumnRef, ColumnSource } from './contract.js';

/**
 * A compiled column pattern (`email`, `customers.email`, `public.customers.card_*`). One part
 * matches the column in any table, and also a computed column (no table) of that name; two or
 * three parts need the column's table, which the protocol resolves (PostgreSQL: from
 * RowDescription's table OID; the column name is the table's own, so `SELECT email AS e` is still
 * `email`). Case-insensitive.
 */
export interface ColumnMatcher {
  readonly qualified: boolean;
  matches(column: ColumnRef): boolean;
  /**
   * Whether a column the SQL names (lineage) could be one this pattern masks. An unqualified
   * relation may live in any schema; a whole row (`column` null) holds every column of its table,
   * so any pattern for that table matches it, and a one-part pattern matches every table's whole
   * row but the system catalogs' (as the dialect's `isSystemRelation` tells).
   */
  mayMatchSource(source: ColumnSource): boolean;
}

/** `pattern` passed parseMaskingSpec; `isSystemRelation` names the dialect's catalog relations. */
export function compileColumnPattern(
  pattern: string,
  isSystemRelation: (source: ColumnSource) => boolean = () => false,
): ColumnMatcher {
  const parts = pattern.split('.').map(globToRegex);
  const [column, table, schema] = parts.reverse() as [RegExp, RegExp | undefined, RegExp | undefined];
  return {
    qualified: table !== undefined,
    matches(c) {
      if (!column.test(c.name)) return false;
      if (table === undefined) return true;
      if (c.table === null || !table.test(c.table.name)) return false;
      return schema === undefined || schema.test(c.table.schema);
    },
    mayMatchSource(source) {
      if (source.function === true) return false;
      if (source.column !== null && !column.test(source.column)) return false;
      if (table === undefined) return source.column !== null || !isSystemRelation(source);
      if (!table.test(source.relation)) return false;
      return schema === undefined || source.schema === null || schema.test(source.schema);
    },
  };
}

function globToRegex(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'iu');
}
