/*
 * The SQL parser: datafusion-sqlparser-rs (WebAssembly, `@guanmingchiu/sqlparser-ts`) in its
 * MySQL dialect, fed the text the lexer unwrapped (comments blanked, executable comments opened),
 * one statement at a time. It reads most MySQL and part of MariaDB (see README, "Parser"); what it
 * cannot read is `unparsable`, never a pass.
 */
import { init, parse } from '@guanmingchiu/sqlparser-ts';

let ready = false;
let loading: Promise<void> | null = null;

/** Loads the parser's WebAssembly once; call before the first analysis. */
export function initSqlParser(): Promise<void> {
  loading ??= init().then(() => {
    ready = true;
  });
  return loading;
}

export function sqlParserReady(): boolean {
  return ready;
}

export type ParseResult =
  { readonly ok: true; readonly ast: unknown } | { readonly ok: false; readonly message: string };

/** Parses one statement's text. Never throws. */
export function parseStatement(text: string): ParseResult {
  if (!ready) return { ok: false, message: 'the SQL parser is not loaded (initSqlParser)' };
  try {
    const statements: unknown = parse(text, 'mysql');
    if (!Array.isArray(statements) || statements.length !== 1) {
      return { ok: false, message: 'the parser did not read exactly one statement' };
    }
    return { ok: true, ast: statements[0] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: message.replace(/^sql parser error: /, '') };
  }
}
