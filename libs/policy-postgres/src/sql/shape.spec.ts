import { beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { AnalysisCache } from './cache.js';
import type { StatementMatch, StatementRuleInput } from './index.js';
import { initSqlParser } from './parser.js';
import { compileStatementPolicy } from './policy.js';
import { literalShape } from './shape.js';

beforeAll(() => initSqlParser());

describe('literalShape', () => {
  test('blanks integer constants, and only those', () => {
    expect(literalShape('SELECT abalance FROM pgbench_accounts WHERE aid = 17;')).toBe(
      'SELECT abalance FROM pgbench_accounts WHERE aid = \0;',
    );
    expect(literalShape('SELECT a[2], b::numeric(10,2) FROM t LIMIT 5 OFFSET 10')).toBe(
      'SELECT a[\0], b::numeric(\0,\0) FROM t LIMIT \0 OFFSET \0',
    );
    // Digits inside identifiers and non-integer numbers stay: no shape at all here.
    for (const sql of ['SELECT * FROM t1', 'SELECT 1.5', 'SELECT .5', 'SELECT 1e5', 'SELECT 0x1F', 'SELECT 1_000']) {
      expect(literalShape(sql)).toBeNull();
    }
  });

  test('text that is not plain beyond doubt gets no shape', () => {
    for (const sql of [
      "SELECT 1 FROM t WHERE a = '2'",
      'SELECT 1 FROM "t2"',
      'SELECT $1, 2',
      'SELECT 1 -- 2',
      'SELECT 1 /* 2 */',
      'SELECT E\\x31, 1',
      'SELECT 1 FROM tä',
      'DO $$ BEGIN PERFORM 1; END $$',
      `SELECT ${'1, '.repeat(5000)}1`,
    ]) {
      expect(literalShape(sql)).toBeNull();
    }
  });

  test('two texts share a shape only when they differ in integer constants', () => {
    const integer = fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String);
    fc.assert(
      fc.property(
        fc.array(integer, { minLength: 1, maxLength: 4 }),
        fc.array(integer, { minLength: 1, maxLength: 4 }),
        (a, b) => {
          const text = (values: string[]) =>
            `SELECT x FROM t${values.length} WHERE ${values.map((v, i) => `c${i} = ${v}`).join(' AND ')}`;
          const same = literalShape(text(a)) === literalShape(text(b));
          expect(same).toBe(a.length === b.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the shape cache', () => {
  const guardrail = (id: string, match: StatementMatch): StatementRuleInput => ({
    id,
    name: `rule ${id}`,
    connectionIds: [],
    groups: [],
    match,
  });

  test('plain SELECTs differing in integer constants share one analysis', () => {
    const cache = new AnalysisCache();
    const first = cache.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 1');
    expect(cache.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 99999')).toBe(first);
    // Kept by shape only: the distinct texts do not fill the exact entries.
    expect(cache.size).toBe(0);
  });

  test('statements whose verdict depends on constants are never shared', () => {
    const cache = new AnalysisCache();
    const policy = compileStatementPolicy([guardrail('w', { missingWhere: true })], [], { cache }).forSession('c', []);
    // A constant-false WHERE first, then a constant-true one of the same shape: still blocked.
    expect(policy.evaluate('DELETE FROM orders WHERE 1 = 2')).toEqual({ action: 'allow' });
    expect(policy.evaluate('DELETE FROM orders WHERE 1 = 1')).toMatchObject({ action: 'block' });
    expect(policy.evaluate('UPDATE orders SET x = 1 WHERE 2 > 3')).toEqual({ action: 'allow' });
    expect(policy.evaluate('UPDATE orders SET x = 1 WHERE 3 > 2')).toMatchObject({ action: 'block' });
    // A CTE holding DML is not a plain SELECT either.
    expect(policy.evaluate('WITH d AS (DELETE FROM orders WHERE 1 = 2 RETURNING 1) SELECT 1')).toEqual({
      action: 'allow',
    });
    expect(policy.evaluate('WITH d AS (DELETE FROM orders WHERE 1 = 1 RETURNING 1) SELECT 1')).toMatchObject({
      action: 'block',
    });
  });

  test('a shared analysis gives the same verdicts as a fresh one, relations and functions included', () => {
    const rules = [guardrail('r', { relations: ['secrets'] }), guardrail('f', { functions: ['pg_sleep'] })];
    const cached = compileStatementPolicy(rules, [], { cache: new AnalysisCache() }).forSession('c', []);
    const fresh = () =>
      compileStatementPolicy(rules, [], { cache: new AnalysisCache({ maxEntries: 0 }) }).forSession('c', []);
    for (const sql of [
      'SELECT * FROM orders WHERE id = 1',
      'SELECT * FROM orders WHERE id = 2',
      'SELECT * FROM secrets WHERE id = 1',
      'SELECT * FROM secrets WHERE id = 2',
      'SELECT pg_sleep(1)',
      'SELECT pg_sleep(2)',
      'SELECT 1; SELECT * FROM secrets LIMIT 3',
      'SELECT 1; SELECT * FROM secrets LIMIT 4',
    ]) {
      expect(cached.evaluate(sql)).toEqual(fresh().evaluate(sql));
    }
  });
});
