import { beforeAll, describe, expect, test } from '@jest/globals';
import { analyzeSqlText } from './analyze.js';
import type { StatementFacts } from './facts.js';
import { displayName } from './names.js';
import { initSqlParser } from './parser.js';

beforeAll(() => initSqlParser());

function analysed(sql: string): { top: StatementFacts; all: readonly StatementFacts[] } {
  const analysis = analyzeSqlText(sql);
  if (!analysis.ok) throw new Error(`expected ${sql} to parse: ${analysis.message}`);
  return { top: analysis.statements[0] as StatementFacts, all: analysis.all };
}

/** "via:KIND relations" for every nested statement. */
const bodyOf = (sql: string) =>
  analysed(sql)
    .all.slice(1)
    .map((s) => `${s.via ?? 'top'}:${s.kinds.join('+')} ${s.relations.map(displayName).join(',')}`.trim());

describe('CREATE FUNCTION / PROCEDURE bodies', () => {
  test.each([
    ["CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'UPDATE customers SET tier = 1'", ['UPDATE customers']],
    [
      'CREATE OR REPLACE FUNCTION f(int) RETURNS int LANGUAGE SQL AS $$ DELETE FROM customers WHERE id = $1; SELECT 1 $$',
      ['DELETE customers', 'SELECT'],
    ],
    [
      'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC UPDATE customers SET x = a; SELECT 1; END',
      ['UPDATE customers', 'SELECT'],
    ],
    ['CREATE FUNCTION f(a int) RETURNS int RETURN (SELECT count(*) FROM customers) + a', ['SELECT customers']],
    [
      'CREATE FUNCTION pg_temp.f(a int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN UPDATE customers SET x = a; RETURN a + 1; END $$',
      ['UPDATE customers'],
    ],
    [
      'CREATE PROCEDURE p(a int) LANGUAGE plpgsql AS $$ BEGIN DELETE FROM customers WHERE id = a; COMMIT; END $$',
      ['DELETE customers'],
    ],
  ])('%s', (sql, expected) => {
    const via = sql.includes('PROCEDURE') ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
    expect(bodyOf(sql)).toEqual(expected.map((entry) => `${via}:${entry}`));
  });

  test('PL/pgSQL bodies compile with their signature: trigger functions, OUT and TABLE parameters, SETOF', () => {
    const trigger = analysed(
      'CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.total := 0; UPDATE customers SET seen = now() WHERE id = NEW.customer_id; RETURN NEW; END $$',
    );
    expect(trigger.top.unresolvedDynamicSql).toBe(false);
    expect(trigger.all.map((s) => s.kinds[0])).toContain('UPDATE');
    for (const sql of [
      'CREATE FUNCTION f(OUT a int, INOUT "B c" text) LANGUAGE plpgsql AS $$ BEGIN a := 1; END $$',
      'CREATE FUNCTION f() RETURNS TABLE (id int) LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT id FROM customers; END $$',
      'CREATE FUNCTION f(VARIADIC xs int[]) RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN RETURN NEXT 1; END $$',
      'CREATE FUNCTION f(c customers) RETURNS int LANGUAGE plpgsql AS $$ BEGIN c.id := 1; RETURN c.id; END $$',
      'CREATE FUNCTION f() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE $m$%$m$, tg_tag; END $$',
    ]) {
      expect([sql, analysed(sql).top.unresolvedDynamicSql]).toEqual([sql, false]);
    }
  });

  test('dynamic SQL in a routine body is resolved like in a DO block', () => {
    const sql =
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DROP TABLE ' || 'customers'; END $$";
    expect(bodyOf(sql)).toEqual(['EXECUTE:DROP TABLE+DROP customers']);
    const variable = 'CREATE FUNCTION f(q text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; END $$';
    expect(analysed(variable).top.unresolvedDynamicSql).toBe(true);
  });

  test.each([
    ["CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'", 'another language'],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'lib', 'sym'", 'C object file'],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE internal AS 'int4in'", 'internal'],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 $$', 'does not compile'],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELEC 1'", 'SQL that does not parse'],
  ])('%s: unresolved dynamic SQL (%s)', (sql) => {
    expect(analysed(sql).top.unresolvedDynamicSql).toBe(true);
  });

  test('a header cannot be ended early by a quoted parameter name', () => {
    const sql =
      'CREATE FUNCTION f("a int) LANGUAGE plpgsql AS $x$ BEGIN DROP TABLE t; END $x$; --" int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$';
    const { top, all } = analysed(sql);
    expect(all.map((s) => s.kinds[0])).toEqual(['CREATE FUNCTION']);
    expect(top.unresolvedDynamicSql).toBe(false);
  });

  test('parameter defaults and SET options count', () => {
    const { top } = analysed(
      "CREATE FUNCTION f(a text DEFAULT pg_read_file('x')) RETURNS int LANGUAGE sql SET search_path = billing RETURN 1",
    );
    expect(top.functions.map(displayName)).toContain('pg_read_file');
    expect(top.schemas).toContain('billing');
  });
});

describe('other objects that run SQL later', () => {
  test('CREATE RULE: each action is a nested statement', () => {
    expect(
      bodyOf('CREATE RULE r AS ON INSERT TO orders DO ALSO (UPDATE customers SET n = n + 1; DELETE FROM carts)'),
    ).toEqual(['CREATE RULE:UPDATE customers', 'CREATE RULE:DELETE carts']);
    expect(bodyOf('CREATE RULE r AS ON INSERT TO orders DO INSTEAD NOTHING')).toEqual([]);
  });

  test('CREATE VIEW: its query is nested; CREATE MATERIALIZED VIEW runs it', () => {
    expect(bodyOf('CREATE VIEW v AS SELECT * FROM customers')).toEqual(['CREATE VIEW:SELECT customers']);
    expect(bodyOf('CREATE MATERIALIZED VIEW m AS SELECT * FROM customers')).toEqual([
      'CREATE MATERIALIZED VIEW:SELECT customers',
    ]);
  });
});

describe('user functions', () => {
  const userCalls = (sql: string) =>
    analysed(sql)
      .top.functions.filter((call) => !call.builtin && !call.attributeNotation)
      .map(displayName);

  test.each([
    ['SELECT lower(name), count(*), now() FROM customers GROUP BY 1', []],
    ["SELECT pg_catalog.lower('A'), pg_catalog.some_future_builtin()", []],
    ["SELECT substring('abc' FROM 2), extract(year FROM now()), 'x' AT TIME ZONE 'UTC'", []],
    ['SELECT SYSTEM_USER', []],
    ['SELECT pg_temp.f()', ['pg_temp.f']],
    ["SELECT public.lower('A')", ['public.lower']],
    ['SELECT touch_customers()', ['touch_customers']],
    ['CALL archive_orders(2020)', ['archive_orders']],
    ["SELECT * FROM dblink('x', 'select 1') AS t(a int)", ['dblink']],
    ['SELECT "Lower"(name) FROM customers', ['"Lower"']],
    ['CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_row()', ['audit_row']],
    ['SELECT c.touch FROM customers c', []],
  ])('%s → %j', (sql, expected) => {
    expect(userCalls(sql)).toEqual(expected);
  });
});
