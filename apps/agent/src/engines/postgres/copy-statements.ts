import { analyzeSql } from '@postern/policy-postgres';

/** A COPY … TO STDOUT / FROM STDIN statement, as masking needs it. */
export interface CopyStatement {
  /** 'to': rows flow to the client (COPY … TO STDOUT). */
  direction: 'to' | 'from';
  /** The copied table; null for COPY (query) TO STDOUT. */
  relation: { schema: string | null; name: string } | null;
  /** The column list as written, or null for all columns. */
  columns: string[] | null;
  format: 'text' | 'csv' | 'binary';
  options: { delimiter?: string; null?: string; quote?: string; escape?: string; header?: boolean };
}

/**
 * The client-facing COPY statements of `sql`, in order, from the policy library's analysis (the
 * real PostgreSQL parser; cached, so the statement check already paid for it). COPY to or from a
 * server file or program never reaches the client and is left to the statement rules.
 */
export function copyStatementsOf(sql: string): CopyStatement[] {
  const analysis = analyzeSql(sql);
  if (!analysis.ok) return [];
  const copies: CopyStatement[] = [];
  for (const statement of analysis.statements) {
    const copy = statement.copy;
    if (copy === null || copy.target !== 'stdio') continue;
    const options: CopyStatement['options'] = {};
    if (copy.delimiter !== null) options.delimiter = copy.delimiter;
    if (copy.null !== null) options.null = copy.null;
    if (copy.quote !== null) options.quote = copy.quote;
    if (copy.escape !== null) options.escape = copy.escape;
    if (copy.header !== false) options.header = true;
    copies.push({
      direction: copy.direction,
      relation: copy.relation === null ? null : { schema: copy.relation.schema ?? null, name: copy.relation.name },
      columns: copy.columns === null ? null : [...copy.columns],
      format: copy.format,
      options,
    });
  }
  return copies;
}
