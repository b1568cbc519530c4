/*
 * "Missing WHERE": does an UPDATE/DELETE (or MERGE action) affect every row of its target?
 *
 * A filter affects every row when it folds to true even with unknown columns (`x OR true`), or
 * when it does not look at the row at all and is not provably false/NULL (`WHERE 1<>2`,
 * `WHERE $1`, `WHERE now() > '2000-01-01'`): such a filter is all-or-nothing, which is the
 * mass-change this guardrail exists for. Only a filter proven false/NULL (`WHERE false`) passes.
 */
import { type AstObject, asArray, asObject, stringField } from './ast.js';
import { constantTruth } from './constant.js';

/** True when the expression mentions a column (or the cursor row) anywhere. */
export function referencesRows(expression: unknown): boolean {
  const stack: unknown[] = [expression];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    const object = asObject(value);
    if (!object) continue;
    for (const key in object) {
      if (key === 'ColumnRef' || key === 'CurrentOfExpr') return true;
      const child = object[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return false;
}

export function filterAffectsEveryRow(where: unknown): boolean {
  if (where === undefined) return true;
  const truth = constantTruth(where);
  if (truth === true) return true;
  return !referencesRows(where) && truth !== false && truth !== null;
}

/**
 * MERGE deletes/updates every target row when its join condition matches every row and a
 * MATCHED … THEN DELETE/UPDATE action has no (or an every-row) condition. A NOT MATCHED BY
 * SOURCE action (PostgreSQL 17) hits every target row the source lacks — all of them when the
 * source is empty or the condition never matches — so it counts whenever its own condition
 * does not look at the row.
 */
export function mergeAffectsEveryRow(merge: AstObject): boolean {
  const joinMatchesEveryRow = filterAffectsEveryRow(merge['joinCondition']);
  return asArray(merge['mergeWhenClauses']).some((item) => {
    const clause = asObject(asObject(item)?.['MergeWhenClause']);
    const command = stringField(clause, 'commandType');
    if (command !== 'CMD_UPDATE' && command !== 'CMD_DELETE') return false;
    if (!filterAffectsEveryRow(clause?.['condition'])) return false;
    const matchKind = stringField(clause, 'matchKind');
    return (
      matchKind === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE' || (matchKind === 'MERGE_WHEN_MATCHED' && joinMatchesEveryRow)
    );
  });
}

/**
 * `INSERT … ON CONFLICT DO UPDATE` rewrites the existing rows its proposed rows collide with.
 * Rows the client lists (VALUES, DEFAULT VALUES) bound that set like `WHERE id IN (…)` would;
 * rows from a query (`INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE …`) can collide
 * with every row. So an upsert affects every row when its rows come from a query and its DO
 * UPDATE has no (or an every-row) WHERE.
 */
export function upsertAffectsEveryRow(insert: AstObject): boolean {
  const conflict = asObject(insert['onConflictClause']);
  if (stringField(conflict, 'action') !== 'ONCONFLICT_UPDATE') return false;
  if (!filterAffectsEveryRow(conflict?.['whereClause'])) return false;
  return !insertsListedRows(insert['selectStmt']);
}

/** DEFAULT VALUES, or a bare VALUES list: as many rows as the statement spells out. */
function insertsListedRows(source: unknown): boolean {
  if (source === undefined) return true;
  const select = asObject(asObject(source)?.['SelectStmt']);
  return Array.isArray(select?.['valuesLists']);
}
