import { beforeAll, describe, expect, test } from '@jest/globals';
import { analyzeSqlText } from './analyze.js';
import type { StatementFacts } from './facts.js';
import { displayName } from './names.js';
import { initSqlParser } from './parser.js';

beforeAll(() => initSqlParser());

/** Every statement (top-level and nested) of a SQL string that must parse. */
function statements(sql: string): readonly StatementFacts[] {
  const analysis = analyzeSqlText(sql);
  if (!analysis.ok) throw new Error(`expected ${sql} to parse: ${analysis.message}`);
  return analysis.all;
}

const only = (sql: string): StatementFacts => {
  const all = statements(sql);
  expect(all).toHaveLength(1);
  return all[0] as StatementFacts;
};

/** Names of the relations of the first statement, sorted (walk order is not part of the contract). */
const relationsOf = (sql: string) => [...(statements(sql)[0]?.relations ?? [])].map(displayName).sort();
const functionsOf = (sql: string) => statements(sql)[0]?.functions.map(displayName);

describe('relations', () => {
  test.each([
    ['DELETE FROM public.orders WHERE id = 1', ['public.orders']],
    ['SELECT * FROM "Orders" o JOIN billing.invoices i ON i.o = o.id', ['"Orders"', 'billing.invoices']],
    ['SELECT * FROM ORDERS', ['orders']],
    ['SELECT * FROM U&"\\006Frders"', ['orders']],
    ['TRUNCATE a, s.b', ['a', 's.b']],
    ['DROP TABLE IF EXISTS x.y, z CASCADE', ['x.y', 'z']],
    ['DROP TRIGGER audit ON billing.invoices', ['billing.invoices']],
    ['COMMENT ON TABLE s.t IS $$x$$', ['s.t']],
    ['ALTER TABLE t ADD COLUMN c int DEFAULT 1', ['t']],
    ['LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE', ['accounts']],
    ['VACUUM FULL audit.log', ['audit.log']],
    ['CREATE TABLE copy AS SELECT * FROM secret', ['copy', 'secret']],
    ['SELECT (SELECT max(id) FROM (SELECT id FROM deep.inner_t) s) FROM outer_t', ['outer_t', 'deep.inner_t']],
    ['GRANT SELECT ON orders TO bob', ['orders']],
    ['CREATE TABLE t (a int REFERENCES parent, LIKE tmpl)', ['t', 'parent', 'tmpl']],
    ['SELECT * FROM test.public.orders', ['public.orders']],
  ])('%s', (sql, expected) => {
    expect(relationsOf(sql)).toEqual([...expected].sort());
  });
});

describe('schemas', () => {
  test.each([
    ['DROP SCHEMA billing CASCADE', ['billing']],
    ['CREATE SCHEMA audit', ['audit']],
    ['ALTER TABLE t SET SCHEMA archive', ['archive']],
    ['GRANT ALL ON ALL TABLES IN SCHEMA billing TO bob', ['billing']],
    ['SET search_path TO billing, "$user", public', ['billing', 'public']],
    ["SELECT set_config('search_path', 'billing, \"Odd\"', false)", ['billing', 'Odd']],
    ['SELECT pg_catalog.pg_read_file($1)', ['pg_catalog']],
    ["SELECT substring('abc' FROM 2)", []],
    ['ALTER ROLE bob SET search_path = billing', ['billing']],
  ])('%s', (sql, expected) => {
    expect(statements(sql)[0]?.schemas).toEqual(expected);
  });
});

describe('functions', () => {
  test.each([
    ["SELECT pg_read_file('/etc/passwd')", ['pg_read_file']],
    ["SELECT * FROM pg_catalog.pg_ls_dir('.')", ['pg_catalog.pg_ls_dir']],
    ["SELECT * FROM dblink('dbname=x', 'select 1') AS t(a int)", ['dblink']],
    ['CALL billing.close_month(1)', ['billing.close_month']],
    ['CREATE TABLE t (a text DEFAULT pg_read_file($$x$$))', ['pg_read_file']],
    ["SELECT count(*) FILTER (WHERE lo_export(1, 'x') > 0) FROM t", ['count', 'lo_export']],
  ])('%s', (sql, expected) => {
    expect(functionsOf(sql)).toEqual(expected);
  });

  test('attribute notation is a possible call', () => {
    const [call] = only("SELECT ('/etc/passwd'::text).pg_read_file").functions;
    expect(call).toEqual({ schema: null, name: 'pg_read_file', attributeNotation: true, builtin: true });
    expect(only("SELECT p.pg_read_file FROM unnest(ARRAY['x']) p").functions.map((f) => f.name)).toContain(
      'pg_read_file',
    );
  });

  test('string literals and columns are not calls', () => {
    expect(only("SELECT 'pg_read_file(1)', pg_read_file FROM t").functions).toEqual([]);
  });
});

describe('missing WHERE', () => {
  test.each([
    ['DELETE FROM t', true],
    ['UPDATE t SET a = 1', true],
    ['DELETE FROM t WHERE true', true],
    ['DELETE FROM t WHERE 1 = 1', true],
    ["DELETE FROM t WHERE 'a' = 'a'", true],
    ['DELETE FROM t WHERE NOT false', true],
    ['DELETE FROM t WHERE id = 5 OR true', true],
    ['DELETE FROM t WHERE 1 <> 2', true],
    ["DELETE FROM t WHERE 't'", true],
    ['DELETE FROM t WHERE $1', true],
    ['DELETE FROM t WHERE now() > $$2000-01-01$$', true],
    ['DELETE FROM t WHERE (SELECT true)', true],
    ['MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', true],
    ['MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE', true],
    ['MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE AND t.archived THEN DELETE', false],
    ['DELETE FROM t WHERE id = $1', false],
    ['DELETE FROM t WHERE false', false],
    ['DELETE FROM t WHERE 1 = 0', false],
    ['DELETE FROM t WHERE NULL', false],
    ['UPDATE t SET a = 1 WHERE id IN (1, 2)', false],
    ['DELETE FROM t WHERE CURRENT OF c', false],
    ['DELETE FROM t WHERE id = 5 AND true', false],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', false],
    ['MERGE INTO t USING s ON true WHEN MATCHED AND t.old THEN DELETE', false],
    // An upsert rewrites the rows its proposed rows collide with: all of them when the rows come
    // from a query; only those listed in VALUES otherwise (like WHERE id IN (…)).
    ['INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET a = 0', true],
    ['INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = 0 WHERE true', true],
    ['INSERT INTO t SELECT generate_series(1, 1000000) ON CONFLICT (id) DO UPDATE SET a = 0', true],
    ['INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = 0 WHERE t.a < excluded.a', false],
    ['INSERT INTO t VALUES (1), (2) ON CONFLICT (id) DO UPDATE SET a = excluded.a', false],
    ['INSERT INTO t DEFAULT VALUES ON CONFLICT (id) DO UPDATE SET a = 0', false],
    ['INSERT INTO t SELECT * FROM u ON CONFLICT DO NOTHING', false],
    ['INSERT INTO t SELECT * FROM u', false],
  ])('%s → %s', (sql, expected) => {
    expect(only(sql).missingWhere).toBe(expected);
  });

  test('SELECT is never "missing WHERE"', () => {
    expect(only('SELECT * FROM t').missingWhere).toBe(false);
  });
});

describe('nested statements', () => {
  test('DML in a CTE is a statement of its own', () => {
    const [outer, inner] = statements('WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d');
    expect(outer?.kinds).toEqual(['SELECT']);
    expect(inner).toMatchObject({ kinds: ['DELETE'], via: 'WITH', missingWhere: true });
    expect(inner?.relations.map(displayName)).toEqual(['orders']);
  });

  test('EXPLAIN ANALYZE runs its statement, EXPLAIN does not', () => {
    const analyzed = statements('EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t');
    expect(analyzed.map((s) => s.kinds[0])).toEqual(['EXPLAIN', 'DELETE']);
    expect(statements('EXPLAIN (ANALYZE off) DELETE FROM t').map((s) => s.kinds[0])).toEqual(['EXPLAIN']);
    expect(statements('EXPLAIN DELETE FROM t').map((s) => s.kinds[0])).toEqual(['EXPLAIN']);
  });

  test('PREPARE, DECLARE CURSOR, COPY (query) and CREATE TABLE AS run their query', () => {
    expect(statements('PREPARE p (int) AS DELETE FROM t WHERE id = $1')[1]).toMatchObject({
      kinds: ['DELETE'],
      via: 'PREPARE',
    });
    expect(statements('DECLARE c CURSOR FOR SELECT * FROM secret')[1]?.via).toBe('DECLARE CURSOR');
    expect(statements('COPY (DELETE FROM t RETURNING *) TO STDOUT')[1]?.kinds).toEqual(['DELETE']);
    expect(statements('CREATE TABLE x AS SELECT 1')[1]?.via).toBe('CREATE TABLE AS');
  });

  test('SQL EXECUTE of a prepared statement is just EXECUTE', () => {
    expect(only('EXECUTE p(1)')).toMatchObject({ kinds: ['EXECUTE'], unresolvedDynamicSql: false });
  });

  test('a function body is checked at CREATE FUNCTION, as if it ran (function-body.spec.ts)', () => {
    const [created, body] = statements(
      'CREATE FUNCTION s.f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM orders; END',
    );
    expect(created?.kinds).toEqual(['CREATE FUNCTION', 'CREATE']);
    expect(created?.schemas).toEqual(['s']);
    expect(body).toMatchObject({ kinds: ['DELETE'], via: 'CREATE FUNCTION', missingWhere: true });
  });
});

describe('DO blocks', () => {
  const kindsIn = (sql: string) => statements(sql).map((s) => `${s.via ?? 'top'}:${s.kinds[0]}`);

  test('statements inside the body are nested statements', () => {
    expect(kindsIn('DO $$ BEGIN DELETE FROM t; IF true THEN DROP TABLE x; END IF; END $$')).toEqual([
      'top:DO',
      'DO:DELETE',
      'DO:DROP TABLE',
    ]);
  });

  test.each([
    ["DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$"],
    ["DO $$ BEGIN EXECUTE 'DROP ' || 'TABLE x'; END $$"],
    ["DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'x'); END $$"],
    ["DO $$ BEGIN EXECUTE concat('DROP', ' TABLE ', 'x'); END $$"],
    ['DO $d$ BEGIN EXECUTE $x$DROP TABLE x$x$; END $d$'],
    ["DO $$ BEGIN EXECUTE 'DO $i$ BEGIN EXECUTE ''DROP TABLE x''; END $i$'; END $$"],
  ])('constant EXECUTE is resolved: %s', (sql) => {
    const dropped = statements(sql).find((s) => s.kinds[0] === 'DROP TABLE');
    expect(dropped?.relations.map(displayName)).toEqual(['x']);
    expect(statements(sql)[0]?.unresolvedDynamicSql).toBe(false);
  });

  test.each([
    ['DO $$ DECLARE q text := $q$DROP TABLE x$q$; BEGIN EXECUTE q; END $$'],
    ["DO $$ BEGIN EXECUTE 'DROP TABLE ' || current_user; END $$"],
    ['DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE lower(session_user) LOOP END LOOP; END $$'],
    ['DO LANGUAGE plperlu $$ system("rm -rf /") $$'],
    ['DO $$ BEGIN this is not plpgsql; END $$'],
  ])('unresolvable dynamic SQL is flagged: %s', (sql) => {
    expect(statements(sql)[0]?.unresolvedDynamicSql).toBe(true);
  });

  test('expressions in the body contribute their functions and relations', () => {
    const [block] = statements(
      'DO $$ DECLARE v text; BEGIN v := pg_read_file($f$x$f$); IF (SELECT count(*) FROM secret) > 0 THEN RAISE NOTICE $m$%$m$, lo_export(1, $p$y$p$); END IF; END $$',
    );
    expect(block?.functions.map((f) => f.name)).toEqual(expect.arrayContaining(['pg_read_file', 'lo_export']));
    expect(block?.relations.map(displayName)).toEqual(['secret']);
  });
});

describe('SQL passed to functions', () => {
  test('query_to_xml and dblink_exec constants are analysed', () => {
    expect(statements("SELECT query_to_xml('DELETE FROM z', true, true, '')")[1]).toMatchObject({
      kinds: ['DELETE'],
      via: 'function argument',
    });
    expect(statements("SELECT dblink_exec('dbname=x', 'DROP TABLE q')")[1]?.kinds[0]).toBe('DROP TABLE');
    expect(relationsOf("SELECT table_to_xml('billing.\"Secret\"', true, false, '')")).toEqual(['billing."Secret"']);
  });

  test('non-constant SQL arguments are unresolved', () => {
    expect(only('SELECT query_to_xml($1, true, true, $$$$)').unresolvedDynamicSql).toBe(true);
  });
});

describe('COPY', () => {
  test('relation form with options', () => {
    const copy = only(
      "COPY public.users (id, email) TO STDOUT WITH (FORMAT csv, DELIMITER ';', HEADER, NULL 'n')",
    ).copy;
    expect(copy).toMatchObject({
      direction: 'to',
      relation: { schema: 'public', name: 'users' },
      columns: ['id', 'email'],
      query: false,
      target: 'stdio',
      format: 'csv',
      delimiter: ';',
      header: true,
      null: 'n',
      quote: null,
    });
  });

  test('legacy options, query form, program', () => {
    expect(only("COPY t TO STDOUT WITH CSV HEADER QUOTE '\"' ESCAPE '\\'").copy).toMatchObject({
      format: 'csv',
      header: true,
      quote: '"',
      escape: '\\',
    });
    expect(only('COPY t FROM STDIN BINARY').copy).toMatchObject({ direction: 'from', format: 'binary' });
    expect(statements('COPY (SELECT * FROM t) TO STDOUT')[0]?.copy).toMatchObject({ query: true, relation: null });
    const program = only("COPY t TO PROGRAM 'gzip > /tmp/x'");
    expect(program.copyProgram).toBe(true);
    expect(program.copy).toMatchObject({ target: 'program', location: 'gzip > /tmp/x' });
    expect(only("COPY t (a) FROM '/tmp/x' (HEADER match)").copy).toMatchObject({ target: 'file', header: 'match' });
  });
});

describe('refusals', () => {
  test('a syntax error carries libpg-query message and position', () => {
    expect(analyzeSqlText('SELECT 1; SELEC 2')).toEqual({
      ok: false,
      message: 'syntax error at or near "SELEC"',
      position: 10,
      uncheckable: false,
    });
  });

  test('a NUL character is refused where it is', () => {
    expect(analyzeSqlText('SELECT 1\u0000; DROP TABLE x')).toMatchObject({ ok: false, position: 8 });
  });

  test('too long or too many nodes is refused as too complex', () => {
    const limits = { maxSqlLength: 100, maxNodes: 50, maxNestingDepth: 16 };
    expect(analyzeSqlText(`SELECT ${'1,'.repeat(100)}1`, limits)).toMatchObject({ ok: false, uncheckable: true });
    expect(analyzeSqlText(`SELECT ${'1,'.repeat(40)}1`, limits)).toMatchObject({ ok: false, uncheckable: true });
  });

  test('deep nesting is bounded, never a crash', () => {
    for (const depth of [500, 2000, 20_000]) {
      const deep = `SELECT ${'(SELECT '.repeat(depth)}1${')'.repeat(depth)}`;
      expect(() => analyzeSqlText(deep)).not.toThrow();
    }
    expect(analyzeSqlText(`SELECT ${'('.repeat(20_000)}1${')'.repeat(20_000)}`).ok).toBe(false);
    const notChain = `DELETE FROM t WHERE ${'NOT '.repeat(900)}false`;
    expect(analyzeSqlText(notChain).ok).toBe(true);
  });

  test('empty and comment-only strings have no statements', () => {
    expect(analyzeSqlText('  -- nothing\n /* at all */ ')).toEqual({ ok: true, statements: [], all: [] });
  });
});

describe('settings that change how the server reads SQL', () => {
  test.each([
    ['SET standard_conforming_strings = off', true],
    ['SET standard_conforming_strings TO false', true],
    ["SET client_encoding = 'SJIS'", true],
    ["SET NAMES 'LATIN1'", true],
    ['ALTER ROLE bob SET standard_conforming_strings = off', true],
    ["SELECT set_config('standard_conforming_strings', 'off', false)", true],
    ["SELECT set_config($1, 'off', false)", true],
    ['SET standard_conforming_strings = on', false],
    ["SET client_encoding TO 'UTF8'", false],
    ['RESET standard_conforming_strings', false],
    ["SELECT set_config('application_name', 'off', false)", false],
  ])('%s → unresolved %s', (sql, unresolved) => {
    expect(statements(sql)[0]?.unresolvedDynamicSql).toBe(unresolved);
  });
});

describe('objects that will call a function', () => {
  test.each([
    ['CREATE OPERATOR ~~~ (RIGHTARG = text, FUNCTION = pg_read_file)', 'pg_read_file'],
    [
      'CREATE OPERATOR public.### (LEFTARG = text, RIGHTARG = text, PROCEDURE = pg_catalog.pg_read_file)',
      'pg_catalog.pg_read_file',
    ],
    ['CREATE CAST (text AS int) WITH FUNCTION pg_read_file(text)', 'pg_read_file'],
    ['CREATE AGGREGATE a (text) (SFUNC = lo_export, STYPE = text)', 'lo_export'],
    ['CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION audit.f()', 'audit.f'],
  ])('%s references %s', (sql, name) => {
    expect(only(sql).functions.map(displayName)).toContain(name);
  });
});
