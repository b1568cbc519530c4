import { beforeAll, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { analyzeSqlText } from './analyze.js';
import type { StatementDecision } from './index.js';
import { initSqlParser } from './parser.js';
import { compileStatementPolicy } from './policy.js';

beforeAll(() => initSqlParser());

const session = compileStatementPolicy(
  [
    {
      id: 'g',
      name: 'everything',
      connectionIds: [],
      groups: [],
      match: { statementKinds: ['DROP', 'TRUNCATE', 'ALTER'] },
    },
    { id: 'w', name: 'where', connectionIds: [], groups: [], match: { missingWhere: true } },
    { id: 'f', name: 'files', connectionIds: [], groups: [], match: { functions: ['pg_read_file'] } },
    { id: 'd', name: 'dynamic', connectionIds: [], groups: [], match: { unresolvedDynamicSql: true } },
  ],
  [],
  { cacheSize: 0 },
).forSession('c', []);

const ACTIONS = ['allow', 'block', 'hold', 'invalid'];
const isDecision = (decision: StatementDecision) => ACTIONS.includes(decision.action);

/** SQL-looking fragments, so the fuzzer reaches the analyser and not only the parser's errors. */
const fragment = fc.constantFrom(
  'SELECT ',
  'DELETE FROM t',
  ' WHERE ',
  'true',
  '1=1',
  ' OR ',
  'DO $$ BEGIN ',
  ' END $$',
  "EXECUTE 'DROP TABLE x'",
  '; ',
  '(',
  ')',
  'WITH d AS (',
  'UPDATE t SET a = 1',
  'pg_read_file(',
  "'x'",
  '$1',
  "E'\\x41'",
  'U&"\\0041"',
  '/* c */',
  '-- c\n',
  '"Q"',
  'COPY t TO PROGRAM ',
  'EXPLAIN ANALYZE ',
  'PREPARE p AS ',
  '::text',
  ' || ',
  'format(',
  ', ',
  'NOT ',
  'CASE WHEN ',
  ' THEN ',
  ' ELSE ',
  ' END',
  '[1]',
  '.',
  '*',
);

test('evaluate never throws on arbitrary strings', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (sql) => {
      expect(isDecision(session.evaluate(sql))).toBe(true);
    }),
    { numRuns: 2000 },
  );
});

test('evaluate never throws on SQL-like strings', () => {
  fc.assert(
    fc.property(
      fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join('')),
      (sql) => {
        expect(isDecision(session.evaluate(sql))).toBe(true);
      },
    ),
    { numRuns: 3000 },
  );
});

test('a NUL character anywhere is invalid', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (before, after) => {
      expect(session.evaluate(`${before}\u0000${after}`).action).toBe('invalid');
    }),
    { numRuns: 300 },
  );
});

test('huge and deeply nested input is bounded, not a crash', () => {
  const huge = `SELECT '${'x'.repeat(9 * 1024 * 1024)}'`;
  expect(analyzeSqlText(huge)).toMatchObject({ ok: false, uncheckable: true });
  const wide = `SELECT ${Array.from({ length: 50_000 }, (_, i) => `f${i}(${i})`).join(', ')}`;
  expect(analyzeSqlText(wide).ok).toBe(true);
  for (const sql of [
    `SELECT ${'-'.repeat(100_000)}1`,
    `SELECT ${'ARRAY['.repeat(5_000)}1${']'.repeat(5_000)}`,
    `DO $$ BEGIN ${'IF true THEN '.repeat(3_000)}NULL;${' END IF;'.repeat(3_000)} END $$`,
    `DO $$ BEGIN EXECUTE ${"'x' || ".repeat(3_000)}'y'; END $$`,
  ]) {
    expect(isDecision(session.evaluate(sql))).toBe(true);
  }
});
