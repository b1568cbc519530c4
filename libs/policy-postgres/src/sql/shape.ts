/*
 * Literal shapes: a second cache key under which statements that differ only in integer literals
 * share one analysis — `SELECT abalance FROM accounts WHERE aid = 17` and `… = 42` cost one parse.
 *
 * This is a bypass risk if done loosely, so both halves are narrow on purpose:
 *
 * - `literalShape` only rewrites text whose lexing is beyond doubt: printable ASCII, no quotes of
 *   any kind (so no strings, quoted identifiers, E'', U&, dollar quoting), no `$` (parameters),
 *   no comments, no backslash. In such text a maximal run of digits that touches neither an
 *   identifier character nor a dot is an integer constant token and nothing else (identifiers
 *   cannot start with a digit; `t1`, `1.5`, `1e5`, `0x1F`, `1_000` are left alone). Each such run
 *   becomes NUL, which no valid statement contains, so two texts share a shape exactly when they
 *   differ only in the values of integer constants.
 * - `shapeable` only accepts analyses whose facts cannot depend on such values: plain SELECTs
 *   (kinds exactly ["SELECT"]), nothing nested, no WHERE judgement (missingWhere is computed from
 *   constants, for UPDATE/DELETE/MERGE), no dynamic SQL, no COPY. Relations, schemas and
 *   functions named by a SELECT do not change with the value of an integer constant.
 *
 * Everything else — UPDATE/DELETE with `WHERE 1 = 1`, SET, DO, CTEs with DML — is analysed per
 * distinct text as before.
 */
import type { SqlAnalysis } from './facts.js';

const MAX_SHAPED_LENGTH = 8 * 1024;
const PLAIN_TEXT = /^[\t\n\r\x20-\x7e]*$/;
const UNSURE = /['"$\\`]|--|\/\*/;
const INTEGER = /(?<![A-Za-z0-9_$.])[0-9]+(?![A-Za-z0-9_.])/g;

/** The text with its integer constants blanked, or null when it has none or is not plain enough. */
export function literalShape(sql: string): string | null {
  // The statement rules' cache and the masking lineage's cache ask for the same text in turn.
  if (sql === last.sql) return last.shape;
  let shape: string | null = null;
  if (sql.length <= MAX_SHAPED_LENGTH && PLAIN_TEXT.test(sql) && !UNSURE.test(sql)) {
    let replaced = false;
    const blanked = sql.replace(INTEGER, () => {
      replaced = true;
      return '\0';
    });
    if (replaced) shape = blanked;
  }
  last.sql = sql;
  last.shape = shape;
  return shape;
}

const last: { sql: string | null; shape: string | null } = { sql: null, shape: null };

/** Whether this analysis holds for every text of the same shape (see above). */
export function shapeable(analysis: SqlAnalysis): boolean {
  if (!analysis.ok) return false;
  return analysis.all.every(
    (statement) =>
      statement.via === null &&
      statement.nested.length === 0 &&
      statement.kinds.length === 1 &&
      statement.kinds[0] === 'SELECT' &&
      !statement.missingWhere &&
      !statement.unresolvedDynamicSql &&
      !statement.copyProgram &&
      statement.copy === null,
  );
}
