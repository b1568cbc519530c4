import type { ResultColumn } from './contract.js';

/**
 * A compiled column pattern (`email`, `customers.email`, `public.customers.card_*`). One part
 * matches the column in any table, and also a computed column (no table) of that name; two or
 * three parts need the column's table, which the agent resolves from RowDescription's table OID
 * (the column name is the table's own, so `SELECT email AS e` is still `email`). Case-insensitive.
 */
export interface ColumnMatcher {
  readonly qualified: boolean;
  matches(column: ResultColumn): boolean;
}

export function compileColumnPattern(pattern: string): ColumnMatcher {
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
  };
}

function globToRegex(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'iu');
}
