import { beforeAll, describe, expect, test } from '@jest/globals';
import { asObject } from './ast.js';
import { constantText, constantTruth, parseBoolText } from './constant.js';
import { initSqlParser, parseStatements } from './parser.js';

beforeAll(() => initSqlParser());

/** The parse tree of `SELECT <expression>`'s only target. */
function expression(sql: string): unknown {
  const parsed = parseStatements(`SELECT ${sql}`);
  if (!parsed.ok) throw new Error(parsed.message);
  const select = asObject(asObject(parsed.statements[0])?.['SelectStmt']);
  const [target] = select?.['targetList'] as unknown[];
  return asObject(asObject(target)?.['ResTarget'])?.['val'];
}

describe('constantTruth', () => {
  test.each([
    ['true', true],
    ['NOT false', true],
    ['1 = 1', true],
    ['1 <> 2', true],
    ["'a' = 'a'", true],
    ["'t'::boolean", true],
    ['2 - 1 = 1', true],
    ['1 IN (3, 1)', true],
    ['2 BETWEEN 1 AND 3', true],
    ['NULL IS NULL', true],
    ['x OR true', true],
    ['(SELECT true)', true],
    ['1 IS DISTINCT FROM 2', true],
    ['false', false],
    ['1 = 0', false],
    ["'a' = 'b'", false],
    ['x AND false', false],
    ['1 NOT IN (1, 2)', false],
    ['NULL', null],
    ['1 = NULL', null],
    ['x', undefined],
    ["'a' < 'b'", undefined],
    ['0.1 + 0.2 = 0.3', undefined],
    ['random() < 2', undefined],
    ['x OR false', undefined],
  ])('%s → %s', (sql, truth) => {
    expect(constantTruth(expression(sql))).toBe(truth);
  });
});

describe('constantText', () => {
  test.each([
    ["'DROP TABLE x'", 'DROP TABLE x'],
    ["'DROP ' || 'TABLE ' || 'x'", 'DROP TABLE x'],
    ["E'DROP\\x20TABLE x'", 'DROP TABLE x'],
    ["U&'\\0044ROP TABLE x'", 'DROP TABLE x'],
    ['$q$DROP TABLE x$q$', 'DROP TABLE x'],
    ["format('DROP TABLE %I.%I', 'S', 'x')", 'DROP TABLE "S"."x"'],
    ["format('%2$s %1$s', 'x', 'DROP TABLE')", 'DROP TABLE x'],
    ["format('%s%%', 5)", '5%'],
    ["format('%s', true)", 't'],
    ["true || 'x'", 'truex'],
    ["concat('DROP', NULL, ' TABLE x')", 'DROP TABLE x'],
    ["concat_ws(' ', 'DROP', 'TABLE', 'x')", 'DROP TABLE x'],
    ["quote_literal(E'a\\\\b')", "E'a\\\\b'"],
    ["replace('DRXP TABLE x', 'X', 'O')", 'DROP TABLE x'],
    ["chr(68) || 'ROP TABLE x'", 'DROP TABLE x'],
    ["upper('drop table x')", 'DROP TABLE X'],
    ["'DROP TABLE x'::text", 'DROP TABLE x'],
  ])('%s → %s', (sql, text) => {
    expect(constantText(expression(sql))).toBe(text);
  });

  test.each([
    ['v'],
    ["'DROP TABLE ' || v"],
    ["format('%5s', 'x')"],
    ["'abc'::varchar(2)"],
    ["myschema.concat('a')"],
    ["upper('é')"],
    ["'a' || NULL"],
  ])('%s is not a known constant text', (sql) => {
    expect(constantText(expression(sql))).toBeUndefined();
  });
});

test.each([
  ['t', true],
  [' TRUE ', true],
  ['ye', true],
  ['on', true],
  ['1', true],
  ['of', false],
  ['f', false],
  ['no', false],
  ['o', undefined],
  ['maybe', undefined],
])('parseBoolText(%j) → %s', (text, value) => {
  expect(parseBoolText(text)).toBe(value);
});
