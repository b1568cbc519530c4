// How MariaDB 10.11 reads comments, quotes and executable comments (each case was run on the
// server; test/sql/mariadb.test.ts re-checks the ones that decide what runs).
import { describe, expect, test } from '@jest/globals';
import { lex, type LexResult } from './lexer.js';

function codeTokens(result: LexResult): string[] {
  if (!result.ok) throw new Error(result.message);
  return result.tokens.map((token) => token.text);
}

describe('the lexer', () => {
  test('executable comments are code, version-gated and MariaDB-only ones included', () => {
    expect(codeTokens(lex('SELECT 1 /*! , 2 */'))).toEqual(['SELECT', '1', ',', '2']);
    expect(codeTokens(lex('/*!50000 DROP TABLE t */'))).toEqual(['DROP', 'TABLE', 't']);
    // A version above the server's is skipped by the server: the gateway still counts it (fail closed).
    expect(codeTokens(lex('SELECT 6 /*!99999 , 7 */'))).toEqual(['SELECT', '6', ',', '7']);
    // MariaDB takes 500001 as the version (and skips it); MySQL reads 50000 and then `1` as code.
    // The gateway keeps MySQL's reading, which can only add a token (at worst: unparsable).
    expect(codeTokens(lex('SELECT 9 /*!500001, 10*/'))).toEqual(['SELECT', '9', '1', ',', '10']);
    expect(codeTokens(lex('SELECT 9 /*M!500001, 10*/'))).toEqual(['SELECT', '9', ',', '10']);
    expect(codeTokens(lex('SELECT 8 /*M! , 9 */'))).toEqual(['SELECT', '8', ',', '9']);
    expect(codeTokens(lex('SELECT 23 /*M!100000 , 24 */'))).toEqual(['SELECT', '23', ',', '24']);
    // mariadb-dump's sandbox line: version 99.99.99 runs on no MariaDB, the one gated comment read as a comment.
    expect(codeTokens(lex('/*M!999999\\- enable the sandbox mode */ SELECT 1'))).toEqual(['SELECT', '1']);
    expect(codeTokens(lex('/*M!99999 , 2 */'))).toEqual([',', '2']);
    // Four digits are not a version: they are code.
    expect(codeTokens(lex('SELECT 11 /*!5000, 12*/'))).toEqual(['SELECT', '11', '5000', ',', '12']);
    const result = lex('SELECT 1 /*!50000 , 2 */');
    expect(result.ok && result.tokens.map((token) => token.executable)).toEqual([false, false, true, true]);
    expect(result.ok && result.executableComments).toEqual([{ start: 9, end: 24, mariadb: false, version: 50000 }]);
  });

  test('the unwrapped code keeps every offset and blanks comments and markers', () => {
    const text = 'SELECT 1 /* c */ /*!50000 , 2 */ # x\n, 3';
    const result = lex(text);
    const blanked = text
      .replace('/* c */', ' '.repeat(7))
      .replace('/*!50000', ' '.repeat(8))
      .replace('*/ # x', ' '.repeat(6));
    expect(result.ok && result.code).toBe(blanked);
    expect(result.ok && result.code.length).toBe(text.length);
  });

  test('comments: no nesting outside executable comments, nested ones inside', () => {
    expect(codeTokens(lex('SELECT 1 /* a /* b */ , 2'))).toEqual(['SELECT', '1', ',', '2']);
    expect(codeTokens(lex('SELECT 3 /*! , 4 /* inner */ , 5 */'))).toEqual(['SELECT', '3', ',', '4', ',', '5']);
    expect(codeTokens(lex("SELECT 1 /*! , '*/' */"))).toEqual(['SELECT', '1', ',', "'*/'"]);
    expect(codeTokens(lex("SELECT 2 /* ' */ , 3"))).toEqual(['SELECT', '2', ',', '3']);
    expect(codeTokens(lex('SELECT 17 /*+ hint */'))).toEqual(['SELECT', '17']);
    expect(lex('SELECT 15 /*!50000 /*! , 16 */ */')).toMatchObject({ ok: false });
  });

  test('-- needs whitespace or the end after it; # runs to the end of the line', () => {
    expect(codeTokens(lex('SELECT 12 --1\n'))).toEqual(['SELECT', '12', '-', '-', '1']);
    expect(codeTokens(lex('SELECT 25 --\tx\n'))).toEqual(['SELECT', '25']);
    expect(codeTokens(lex('SELECT 18 --'))).toEqual(['SELECT', '18']);
    expect(codeTokens(lex('SELECT 13 #x\n, 14'))).toEqual(['SELECT', '13', ',', '14']);
    // Inside an executable comment a line comment swallows the closing */: unterminated.
    expect(lex('SELECT 28 /*!50000 , 29 # x */ , 30 */')).toMatchObject({ ok: false });
  });

  test('strings and identifiers: escapes, doubled quotes, nothing inside them is code', () => {
    const result = lex("SELECT 'a\\'b', 'c''d', \"e\\\"f\", `g``h`, '/*!DROP TABLE t*/', '-- x', \"; DROP\"");
    if (!result.ok) throw new Error(result.message);
    expect(result.tokens.filter((token) => token.type !== 'punct').map((token) => [token.type, token.value])).toEqual([
      ['word', 'SELECT'],
      ['string', "a'b"],
      ['string', "c'd"],
      ['string', 'e"f'],
      ['identifier', 'g`h'],
      ['string', '/*!DROP TABLE t*/'],
      ['string', '-- x'],
      ['string', '; DROP'],
    ]);
    expect(result.executableComments).toEqual([]);
  });

  test('sql_mode changes how quotes and backslashes read', () => {
    const text = "SELECT 'a\\' ; DROP TABLE t; -- '";
    expect(codeTokens(lex(text))).toEqual(['SELECT', "'a\\' ; DROP TABLE t; -- '"]);
    expect(codeTokens(lex(text, { noBackslashEscapes: true }))).toEqual([
      'SELECT',
      "'a\\'",
      ';',
      'DROP',
      'TABLE',
      't',
      ';',
    ]);
    const ansi = lex('SELECT "a" FROM t', { ansiQuotes: true });
    expect(ansi.ok && ansi.tokens[1]?.type).toBe('identifier');
  });

  test('unterminated strings, identifiers and comments cannot be checked', () => {
    expect(lex("SELECT 'x")).toEqual({ ok: false, message: 'unterminated string', position: 7 });
    expect(lex('SELECT `x')).toMatchObject({ ok: false, message: 'unterminated quoted identifier' });
    expect(lex('SELECT 1 /* x')).toMatchObject({ ok: false, message: 'unterminated comment' });
    expect(lex('SELECT 1 /*! , 2')).toMatchObject({ ok: false, message: 'unterminated executable comment' });
  });

  test('variables, numbers and operators', () => {
    expect(codeTokens(lex("SET @@global.sql_mode = '', @`x y` := 1e3, @'z' = 0x1F <=> 1"))).toEqual([
      'SET',
      '@@global.sql_mode',
      '=',
      "''",
      ',',
      '@`x y`',
      ':=',
      '1e3',
      ',',
      "@'z'",
      '=',
      '0x1F',
      '<=>',
      '1',
    ]);
    expect(codeTokens(lex('SELECT 1abc, t1.col FROM db.t1'))).toEqual([
      'SELECT',
      '1abc',
      ',',
      't1',
      '.',
      'col',
      'FROM',
      'db',
      '.',
      't1',
    ]);
  });
});
