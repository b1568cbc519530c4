import { beforeAll, describe, expect, test } from '@jest/globals';
import { initSqlParser } from '../sql/parser.js';
import { analyzeLineage } from './analyze.js';
import type { StatementLineage } from './facts.js';

beforeAll(() => initSqlParser());

function only(sql: string): StatementLineage {
  const analysis = analyzeLineage(sql);
  if (!analysis.ok) throw new Error(analysis.message);
  expect(analysis.statements).toHaveLength(1);
  return analysis.statements[0]!;
}

/** `relation.column` (or `relation.*`) of every source of every output, one list per output. */
function outputs(sql: string): string[][] {
  return (only(sql).outputs ?? []).map((item) =>
    item.lineage.sources.map((s) => `${s.relation}.${s.column ?? '*'}`).sort(),
  );
}

describe('result columns: where each value comes from', () => {
  test.each([
    ['SELECT card_number || $$$$ FROM customers', [['customers.card_number']]],
    ['SELECT to_json(c) FROM customers c', [['customers.*', 'customers.c']]],
    ['SELECT string_agg(card_number, $$,$$) FROM customers', [['customers.card_number']]],
    ['SELECT (SELECT card_number FROM customers LIMIT 1)', [['customers.card_number']]],
    ['SELECT mode() WITHIN GROUP (ORDER BY card_number) FROM customers', [['customers.card_number']]],
    [
      'SELECT v FROM customers c, LATERAL unnest(array[c.card_number]) AS u(v)',
      [['customers.card_number', 'customers.v']],
    ],
    ['WITH s AS (SELECT card_number AS k FROM customers) SELECT lower(k) FROM s', [['customers.card_number']]],
    ["SELECT 'x' UNION SELECT card_number FROM customers", [['customers.card_number']]],
    ['SELECT count(card_number), count(*) FROM customers', [[], []]],
    ['SELECT a.attname FROM pg_attribute a', [['pg_attribute.attname']]],
  ])('%s', (sql, expected) => {
    expect(outputs(sql)).toEqual(expected);
  });

  test('a recursive CTE carries what its recursive term reads', () => {
    const sql =
      'WITH RECURSIVE r(n, v) AS (SELECT 1, name FROM customers UNION ALL SELECT n + 1, v || card_number FROM r, customers WHERE n < 3) SELECT v FROM r';
    expect(outputs(sql)[0]).toEqual(expect.arrayContaining(['customers.card_number', 'customers.name']));
  });

  test('a plain reference through a subquery stays direct (PostgreSQL names it), an expression does not', () => {
    const [plain] = only('SELECT x FROM (SELECT card_number AS x FROM customers) s').outputs!;
    const [computed] = only('SELECT reverse(x) FROM (SELECT card_number AS x FROM customers) s').outputs!;
    expect(plain!.lineage.direct).toBe(true);
    expect(computed!.lineage).toMatchObject({ direct: false, transformed: true });
  });

  test('`*` over a table is a run of columns of unknown width', () => {
    expect(only('SELECT *, lower(name) FROM customers').outputs!.map((item) => item.kind)).toEqual([
      'columns',
      'value',
    ]);
  });
});

describe('values that leave another way', () => {
  test.each([
    ['INSERT INTO archive SELECT card_number FROM customers', 'INSERT INTO archive'],
    ['CREATE TABLE t AS SELECT card_number FROM customers', 'CREATE TABLE AS'],
    ['SELECT card_number INTO t FROM customers', 'SELECT INTO'],
    ['UPDATE orders SET note = (SELECT card_number FROM customers LIMIT 1)', 'UPDATE orders'],
    ['CREATE VIEW v AS SELECT card_number FROM customers', 'CREATE VIEW'],
    ["SELECT set_config('x', card_number, false) FROM customers", 'set_config()'],
    ['SELECT pg_temp.keep(card_number) FROM customers', 'pg_temp.keep()'],
    ["CREATE FUNCTION f() RETURNS text LANGUAGE sql AS 'SELECT card_number FROM customers'", 'CREATE FUNCTION'],
    ['DO $$BEGIN RAISE NOTICE $$%$$, (SELECT card_number FROM customers LIMIT 1); END$$', 'DO block'],
    ['CREATE RULE r AS ON INSERT TO log DO ALSO INSERT INTO t SELECT card_number FROM customers', 'CREATE RULE'],
  ])('%s', (sql, into) => {
    const flows = only(sql.replaceAll('$$%$$', "'%'")).flows;
    expect(flows.map((flow) => flow.into)).toContain(into);
    expect(flows.flatMap((flow) => flow.sources.map((s) => s.column))).toContain('card_number');
  });

  test('PREPARE and DECLARE keep only computed values for later (plain columns are named when fetched)', () => {
    expect(only('PREPARE p AS SELECT card_number FROM customers').flows).toEqual([]);
    expect(only('DECLARE c CURSOR FOR SELECT card_number || $$$$ FROM customers').flows[0]).toMatchObject({
      into: 'DECLARE CURSOR',
      computedOnly: true,
    });
  });

  test('SQL the analysis cannot see into is opaque', () => {
    expect(only('SELECT query_to_xml(current_setting($$x$$), true, true, $$$$)').opaque[0]).toMatch(/not a constant/);
    expect(only('SELECT schema_to_xml($$public$$, true, true, $$$$)').opaque).toHaveLength(1);
    expect(only('SELECT most_common_vals FROM pg_stats').opaque[0]).toMatch(/pg_stats/);
    expect(only("DO LANGUAGE plpython3u 'pass'").opaque[0]).toMatch(/plpython3u/);
  });

  test('filters are reads (their values can surface in errors), not result values', () => {
    const statement = only('SELECT id FROM customers WHERE card_number::int > 0');
    expect(statement.outputs![0]!.lineage.sources.map((s) => s.column)).toEqual(['id']);
    expect(statement.reads.map((s) => s.column)).toContain('card_number');
  });

  test('SQL that does not parse is reported as a parse error, not as too complex', () => {
    expect(analyzeLineage('SELEC 1')).toMatchObject({ ok: false, parseError: true });
  });
});
