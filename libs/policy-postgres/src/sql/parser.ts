/*
 * The only place that talks to libpg-query (PostgreSQL 18's own parser compiled to WebAssembly).
 * Every function here returns a result instead of throwing: the analyser must never throw.
 *
 * Loading: the package has no `exports` map, so Node and Jest both resolve its CommonJS entry
 * (`wasm/index.cjs`, via `main`); its emscripten loader reads `libpg-query.wasm` from its own
 * directory with `fs` (`__dirname`), never fetches it. That works unchanged under Jest's
 * `--experimental-vm-modules`; `loadModule()` just awaits the instantiation.
 */
import { hasSqlDetails, loadModule, parsePlPgSQLSync, parseSync, scanSync } from 'libpg-query';
import { asArray, asObject } from './ast.js';

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads libpg-query's WebAssembly once; call before the first `evaluate`. */
export function initSqlParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export function sqlParserReady(): boolean {
  return ready;
}

export type ParseOutcome =
  | { readonly ok: true; readonly statements: readonly unknown[] }
  | {
      readonly ok: false;
      readonly message: string;
      readonly position: number | null;
      /** The SQL may be valid but cannot be checked (tree too deep, parser not loaded). */
      readonly uncheckable: boolean;
    };

/**
 * Parses SQL into its raw statements (`RawStmt.stmt`). A RangeError from a very deep tree (the
 * JSON is rebuilt recursively) is reported like a parse failure.
 */
export function parseStatements(sql: string): ParseOutcome {
  if (!ready) {
    return { ok: false, message: 'SQL parser not initialised', position: null, uncheckable: true };
  }
  if (sql.trim() === '') return { ok: true, statements: [] };
  try {
    const result = asObject(parseSync(sql));
    const statements = asArray(result?.['stmts']).map((raw) => asObject(raw)?.['stmt']);
    return { ok: true, statements };
  } catch (error) {
    return parseFailure(error);
  }
}

function parseFailure(error: unknown): ParseOutcome {
  if (hasSqlDetails(error) && error.sqlDetails) {
    const position = error.sqlDetails.cursorPosition;
    return { ok: false, message: error.message, position, uncheckable: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, message, position: null, uncheckable: error instanceof RangeError };
}

/**
 * Compiles a PL/pgSQL body with PostgreSQL's PL/pgSQL compiler; it wants a whole `DO`/`CREATE
 * FUNCTION` statement, so the body follows `header` (`DO `, or `CREATE FUNCTION f(…) RETURNS …
 * LANGUAGE plpgsql AS `) in a dollar quote it cannot contain. Returns the function tree, or an
 * error string (syntax errors, unknown variables…).
 */
export function parsePlpgsqlBody(
  body: string,
  header = 'DO ',
): { ok: true; tree: unknown } | { ok: false; message: string } {
  if (!ready) return { ok: false, message: 'SQL parser not initialised' };
  const tag = dollarTagFor(body);
  try {
    const result = asObject(parsePlPgSQLSync(`${header}${tag}${body}${tag}`));
    const functions = asArray(result?.['plpgsql_funcs']);
    if (functions.length !== 1) return { ok: false, message: 'not a single PL/pgSQL block' };
    return { ok: true, tree: functions[0] };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function dollarTagFor(body: string): string {
  for (let suffix = 0; ; suffix += 1) {
    const tag = `$postern${suffix}$`;
    if (!body.includes(tag)) return tag;
  }
}

export interface SqlToken {
  /** UTF-16 offsets into the scanned text (libpg-query reports bytes; converted here). */
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly text: string;
}

/** Tokenises SQL (used to split PL/pgSQL assignments); null when the scanner rejects it. */
export function scanTokens(sql: string): SqlToken[] | null {
  if (!ready) return null;
  try {
    const bytes = Buffer.from(sql, 'utf8');
    return scanSync(sql).tokens.map((token) => {
      const start = bytes.subarray(0, token.start).toString('utf8').length;
      const text = bytes.subarray(token.start, token.end).toString('utf8');
      return { start, end: start + text.length, name: token.tokenName, text };
    });
  } catch {
    return null;
  }
}
