/*
 * The MySQL/MariaDB token stream as the server reads it, so that nothing the server executes is
 * hidden from the gateway. Measured against MariaDB 10.11 (src/sql/lexer.spec.ts names each case):
 *
 * - `/*! … *\/`, `/*!50000 … *\/` (5 version digits; MariaDB also reads 6, which here leaves the
 *   sixth as code) and MariaDB's `/*M! … *\/` (5 or 6 digits) are code: their
 *   content is lexed as ordinary tokens. A version-gated one the server would skip (version above
 *   its own) is taken as executed too (fail closed). Inside one, `/* … *\/` is a nested comment and
 *   `#`/`-- ` run to the end of the line (they can swallow the closing `*\/`); another `/*!` is an
 *   error on the server and here.
 * - `/*M!999999 … *\/` runs on no MariaDB that exists (version 99.99.99): mariadb-dump writes its
 *   client-side sandbox command that way. It is the one version-gated comment read as a comment.
 * - Other `/* … *\/` comments do not nest: the first `*\/` ends them (`/*+ hints *\/` too).
 * - `#` runs to the end of the line; `--` only when followed by whitespace, a control character or
 *   the end (`1--1` is 1 minus -1).
 * - '…' and "…" are strings (ANSI_QUOTES off) with backslash escapes (NO_BACKSLASH_ESCAPES off)
 *   and doubled quotes; `…` is an identifier with doubled backticks and no escapes.
 * - Unterminated strings, identifiers or comments are errors: the server would refuse the text,
 *   and the gateway cannot say where a statement ends.
 *
 * Besides the tokens, `code` is the text with every comment and every executable-comment marker
 * blanked (same length, newlines kept): what the server executes, at the same offsets, for the
 * SQL parser to read.
 */

export type TokenType = 'word' | 'identifier' | 'string' | 'number' | 'variable' | 'operator' | 'punct';

export interface Token {
  readonly type: TokenType;
  /** The source text of the token (quotes included). */
  readonly text: string;
  /**
   * word: as written; identifier: unquoted content; string: decoded content; variable: the name
   * after `@`/`@@` (unquoted); others: the text.
   */
  readonly value: string;
  /** Upper-cased `value` for words; the text otherwise. */
  readonly upper: string;
  readonly start: number;
  readonly end: number;
  /** Read from inside an executable comment. */
  readonly executable: boolean;
}

export interface ExecutableComment {
  readonly start: number;
  readonly end: number;
  /** `/*M!`: run by MariaDB only. */
  readonly mariadb: boolean;
  /** The version gate (`/*!50000`), null when there is none. */
  readonly version: number | null;
}

export interface LexOptions {
  /** sql_mode NO_BACKSLASH_ESCAPES: backslash is an ordinary character in strings. */
  readonly noBackslashEscapes?: boolean;
  /** sql_mode ANSI_QUOTES: "…" is an identifier, not a string. */
  readonly ansiQuotes?: boolean;
}

export type LexResult =
  | {
      readonly ok: true;
      readonly tokens: readonly Token[];
      readonly code: string;
      readonly executableComments: readonly ExecutableComment[];
    }
  | { readonly ok: false; readonly message: string; readonly position: number };

class LexError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const OPERATORS = ['<=>', '->>', '<=', '>=', '<>', '!=', ':=', '||', '&&', '<<', '>>', '->'];
const PUNCT = new Set(['(', ')', ',', ';', '.', '?']);
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  "'": "'",
  '"': '"',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
  '\\': '\\',
  // Kept with their backslash: LIKE patterns read them.
  '%': '\\%',
  _: '\\_',
};

function isWordChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f ||
    code === 0x24 ||
    code >= 0x80
  );
}

function isSpace(code: number): boolean {
  return code <= 0x20;
}

const NUMBER = /(?:0x[0-9a-f]+|0b[01]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/iy;

class Lexer {
  private index = 0;
  private readonly tokens: Token[] = [];
  private readonly executableComments: ExecutableComment[] = [];
  private readonly code: string[];
  /** Start of the executable comment being read, or -1. */
  private executableStart = -1;
  private executableMariadb = false;
  private executableVersion: number | null = null;

  constructor(
    private readonly text: string,
    private readonly options: LexOptions,
  ) {
    this.code = [];
  }

  run(): LexResult {
    const { text } = this;
    let copiedUpTo = 0;
    const blank = (from: number, to: number) => {
      this.code.push(text.slice(copiedUpTo, from), text.slice(from, to).replace(/[^\n]/g, ' '));
      copiedUpTo = to;
    };
    try {
      while (this.index < text.length) {
        const start = this.index;
        if (this.skipComment()) {
          blank(start, this.index);
          continue;
        }
        const code = text.charCodeAt(start);
        if (isSpace(code)) {
          this.index += 1;
          continue;
        }
        if (this.executableStart >= 0 && text.startsWith('*/', start)) {
          this.executableComments.push({
            start: this.executableStart,
            end: start + 2,
            mariadb: this.executableMariadb,
            version: this.executableVersion,
          });
          this.executableStart = -1;
          this.index = start + 2;
          blank(start, this.index);
          continue;
        }
        if (this.openExecutableComment()) {
          blank(start, this.index);
          continue;
        }
        this.readToken();
      }
      if (this.executableStart >= 0) throw new LexError('unterminated executable comment', this.executableStart);
    } catch (error) {
      if (error instanceof LexError) return { ok: false, message: error.message, position: error.position };
      throw error;
    }
    this.code.push(text.slice(copiedUpTo));
    return { ok: true, tokens: this.tokens, code: this.code.join(''), executableComments: this.executableComments };
  }

  /** `#…`, `-- …`, `/* … *\/` (not `/*!`): true when one was skipped. */
  private skipComment(): boolean {
    const { text, index } = this;
    const char = text[index];
    if (char === '#' || (char === '-' && text[index + 1] === '-' && dashDashComment(text, index + 2))) {
      const newline = text.indexOf('\n', index);
      this.index = newline < 0 ? text.length : newline;
      return true;
    }
    if (char !== '/' || text[index + 1] !== '*') return false;
    const mariadbSandbox = text.startsWith('/*M!999999', index);
    if (!mariadbSandbox && (text[index + 2] === '!' || (text[index + 2] === 'M' && text[index + 3] === '!'))) {
      return false;
    }
    const end = text.indexOf('*/', index + 2);
    if (end < 0) throw new LexError('unterminated comment', index);
    this.index = end + 2;
    return true;
  }

  /** `/*!`, `/*!NNNNN`, `/*M!`, `/*M!NNNNNN`: true when one was opened. */
  private openExecutableComment(): boolean {
    const { text, index } = this;
    if (!text.startsWith('/*', index)) return false;
    const mariadb = text[index + 2] === 'M';
    let cursor = index + (mariadb ? 4 : 3);
    if (this.executableStart >= 0) throw new LexError('executable comment inside an executable comment', index);
    // MariaDB reads 5 or 6 version digits, MySQL 5: after `/*!` a sixth digit stays code (the
    // MySQL reading, which can only add a token), after `/*M!` (MariaDB only) it is the version.
    let digits = 0;
    while (digits < (mariadb ? 6 : 5) && /[0-9]/.test(text[cursor + digits] ?? '')) digits += 1;
    const version = digits >= 5 ? Number(text.slice(cursor, cursor + digits)) : null;
    if (version !== null) cursor += digits;
    this.executableStart = index;
    this.executableMariadb = mariadb;
    this.executableVersion = version;
    this.index = cursor;
    return true;
  }

  private push(type: TokenType, start: number, end: number, value: string): void {
    const text = this.text.slice(start, end);
    const upper = type === 'word' ? value.toUpperCase() : type === 'variable' ? value.toLowerCase() : text;
    this.tokens.push({ type, text, value, upper, start, end, executable: this.executableStart >= 0 });
  }

  private readToken(): void {
    const { text, index } = this;
    const char = text[index] as string;
    if (char === "'" || (char === '"' && !this.options.ansiQuotes)) {
      const { value, end } = this.readQuoted(char, !this.options.noBackslashEscapes);
      this.push('string', index, end, value);
      return;
    }
    if (char === '`' || char === '"') {
      const { value, end } = this.readQuoted(char, false);
      this.push('identifier', index, end, value);
      return;
    }
    if (char === '@') {
      this.readVariable();
      return;
    }
    NUMBER.lastIndex = index;
    const number = NUMBER.exec(text);
    if (number && !isWordChar(text.charCodeAt(index + number[0].length) || 0)) {
      this.push('number', index, index + number[0].length, number[0]);
      this.index = index + number[0].length;
      return;
    }
    if (isWordChar(text.charCodeAt(index))) {
      let end = index + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end += 1;
      this.push('word', index, end, text.slice(index, end));
      this.index = end;
      return;
    }
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, index));
    const length = operator ? operator.length : 1;
    this.push(PUNCT.has(char) ? 'punct' : 'operator', index, index + length, text.slice(index, index + length));
    this.index = index + length;
  }

  /** A quoted run starting at `this.index`; doubled quotes stand for one. */
  private readQuoted(quote: string, backslashEscapes: boolean): { value: string; end: number } {
    const { text } = this;
    const start = this.index;
    let value = '';
    let cursor = start + 1;
    for (;;) {
      if (cursor >= text.length) {
        throw new LexError(quote === '`' ? 'unterminated quoted identifier' : 'unterminated string', start);
      }
      const char = text[cursor] as string;
      if (char === '\\' && backslashEscapes && cursor + 1 < text.length) {
        const next = text[cursor + 1] as string;
        value += ESCAPES[next] ?? next;
        cursor += 2;
        continue;
      }
      if (char === quote) {
        if (text[cursor + 1] === quote) {
          value += quote;
          cursor += 2;
          continue;
        }
        this.index = cursor + 1;
        return { value, end: cursor + 1 };
      }
      value += char;
      cursor += 1;
    }
  }

  /** `@name`, `@'name'`, `@@name`, `@@global.name`. */
  private readVariable(): void {
    const { text } = this;
    const start = this.index;
    let cursor = start + (text[start + 1] === '@' ? 2 : 1);
    const quote = text[cursor];
    if (quote === "'" || quote === '"' || quote === '`') {
      this.index = cursor;
      const { value, end } = this.readQuoted(quote, quote !== '`' && !this.options.noBackslashEscapes);
      this.push('variable', start, end, text.slice(start, cursor) + value);
      return;
    }
    while (cursor < text.length && (isWordChar(text.charCodeAt(cursor)) || text[cursor] === '.')) cursor += 1;
    this.push('variable', start, cursor, text.slice(start, cursor));
    this.index = cursor;
  }
}

/** `--` starts a comment only before whitespace, a control character or the end of the text. */
function dashDashComment(text: string, after: number): boolean {
  return after >= text.length || isSpace(text.charCodeAt(after));
}

/** Tokens of a MySQL/MariaDB text, comments removed and executable comments unwrapped. Never throws. */
export function lex(text: string, options: LexOptions = {}): LexResult {
  return new Lexer(text, options).run();
}
