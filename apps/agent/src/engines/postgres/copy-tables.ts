import { analyzeSql } from '@postern/policy-postgres';
import type { CopyStatement } from './copy-statements.js';

export type CopyRelation = NonNullable<CopyStatement['relation']>;

/** The columns a COPY … TO STDOUT of a table sends, in order, as the target's catalog names them. */
export interface CopiedColumns {
  schema: string;
  table: string;
  columns: { name: string; typeOid: number }[];
}

/** Why a COPY cannot run as written, in PostgreSQL's own words (the server would say the same). */
export interface CopyNameError {
  code: string;
  message: string;
}

/**
 * One query resolving every relation named by the COPY statements of one message, the way the
 * session resolves it (`to_regclass` follows its search_path, pg_temp first), one row per live
 * column in attnum order, or one row of NULLs for a name that resolves to nothing. Names arrive
 * as the parser normalised them and are quoted back, so `"Mixed"` and `mixed` stay apart; the
 * literals are escape strings, read the same whatever standard_conforming_strings is.
 */
export function copyTablesQuery(relations: readonly CopyRelation[]): string {
  const names = relations.map((r, i) => `(${i}, ${quoteLiteral(qualifiedName(r, quoteIdent))})`).join(', ');
  return (
    "SELECT r.i, n.nspname, c.relname, a.attname, a.atttypid::int8, a.attgenerated <> '' " +
    `FROM (VALUES ${names}) AS r(i, name) ` +
    'LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(r.name) ' +
    'LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
    'LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ' +
    'ORDER BY r.i, a.attnum'
  );
}

/**
 * The columns each COPY sends, from `copyTablesQuery`'s rows: without a column list, every
 * column but the generated ones (as PostgreSQL's CopyGetAttnums); with one, the named columns in
 * its order. A relation that does not resolve, or a listed column it lacks, gets the error the
 * server would raise for the COPY.
 */
export function copiedColumns(
  copies: readonly { relation: CopyRelation; columns: readonly string[] | null }[],
  rows: readonly (string | null)[][],
): (CopiedColumns | CopyNameError)[] {
  return copies.map(({ relation, columns: wanted }, i) => {
    const mine = rows.filter((row) => row[0] === String(i));
    const schema = mine[0]?.[1];
    const name = mine[0]?.[2];
    if (schema === undefined || schema === null || name === undefined || name === null) {
      return { code: '42P01', message: `relation "${qualifiedName(relation, (s) => s)}" does not exist` };
    }
    const all = mine
      .filter((row) => row[3] !== null)
      .map((row) => ({ name: row[3]!, typeOid: Number(row[4]), generated: row[5] === 't' }));
    const table = { schema, table: name };
    if (wanted === null) {
      return { ...table, columns: all.filter((c) => !c.generated).map(({ name, typeOid }) => ({ name, typeOid })) };
    }
    const columns: CopiedColumns['columns'] = [];
    for (const wantedName of wanted) {
      const column = all.find((c) => c.name === wantedName);
      if (column === undefined) {
        return { code: '42703', message: `column "${wantedName}" of relation "${relation.name}" does not exist` };
      }
      columns.push({ name: column.name, typeOid: column.typeOid });
    }
    return { ...table, columns };
  });
}

/**
 * True when a COPY … TO STDOUT of a table follows, in the same Query message, a statement that
 * could change what its name resolves to (`SET search_path …; COPY t TO STDOUT`, a CREATE, a
 * function call): the lookup runs before the message, so it would see the name as it was. Only
 * BEGIN and other COPY … TO STDOUT of tables may come first.
 */
export function copyFollowsOtherStatements(sql: string): boolean {
  const analysis = analyzeSql(sql);
  if (!analysis.ok) return false;
  let others = false;
  for (const statement of analysis.statements) {
    const copy = statement.copy;
    const tableOut = copy !== null && copy.direction === 'to' && copy.target === 'stdio' && copy.relation !== null;
    if (tableOut && others) return true;
    if (!tableOut && !statement.kinds.includes('BEGIN')) others = true;
  }
  return false;
}

function qualifiedName(relation: CopyRelation, quote: (name: string) => string): string {
  return relation.schema === null ? quote(relation.name) : `${quote(relation.schema)}.${quote(relation.name)}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An escape-string literal: means the same whatever standard_conforming_strings is. */
function quoteLiteral(text: string): string {
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
