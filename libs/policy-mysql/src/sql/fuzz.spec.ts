// Garbage never crashes the analyser, and the lexer's unwrapped code keeps every offset: any
// text gives facts or a refusal, never an exception.
import { beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { analyzeMysqlText } from './analyze.js';
import { lex } from './lexer.js';
import { initSqlParser } from './parser.js';

beforeAll(() => initSqlParser());

const PIECES = [
  'SELECT',
  'DELETE',
  'UPDATE',
  'DROP',
  'TABLE',
  'FROM',
  'WHERE',
  'SET',
  'PREPARE',
  'EXECUTE',
  'IMMEDIATE',
  'FOR',
  'CREATE',
  'PROCEDURE',
  'BEGIN',
  'END',
  'IF',
  'THEN',
  'NOT',
  'ATOMIC',
  'LOAD',
  'DATA',
  'LOCAL',
  'INFILE',
  'INTO',
  'OUTFILE',
  't',
  'orders',
  '1',
  '=',
  ';',
  ',',
  '(',
  ')',
  '.',
  "'",
  '"',
  '`',
  '\\',
  '/*',
  '*/',
  '/*!',
  '/*!50000',
  '/*M!',
  '--',
  '-- ',
  '#',
  '\n',
  ' ',
  '@',
  '@@',
  '||',
  '&&',
  '?',
  '*',
];

const sqlSoup = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((pieces) => pieces.join(' '));
const sqlGlued = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((pieces) => pieces.join(''));

describe('fuzzing', () => {
  test('any text: facts or a refusal, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(sqlSoup, sqlGlued, fc.string({ maxLength: 200 })), (sql) => {
        const analysis = analyzeMysqlText(sql);
        if (!analysis.ok) expect(analysis.uncheckable).toBe(true);
        else for (const statement of analysis.all) expect(statement.kinds.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  test('the unwrapped code has the text’s length and its tokens at their offsets', () => {
    fc.assert(
      fc.property(fc.oneof(sqlSoup, sqlGlued), (sql) => {
        const result = lex(sql);
        if (!result.ok) return;
        expect(result.code.length).toBe(sql.length);
        for (const token of result.tokens) expect(result.code.slice(token.start, token.end)).toBe(token.text);
      }),
      { numRuns: 400 },
    );
  });
});
