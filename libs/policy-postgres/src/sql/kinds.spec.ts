import { beforeAll, describe, expect, test } from '@jest/globals';
import { analyzeSqlText } from './analyze.js';
import { canonicalStatementKind, STATEMENT_KINDS } from './kinds.js';
import { initSqlParser } from './parser.js';

beforeAll(() => initSqlParser());

function kindsOf(sql: string): readonly string[] {
  const analysis = analyzeSqlText(sql);
  if (!analysis.ok) throw new Error(`${sql}: ${analysis.message}`);
  return analysis.statements[0]?.kinds ?? [];
}

describe('statement kinds', () => {
  test.each([
    ['SELECT 1', ['SELECT']],
    ['VALUES (1)', ['SELECT']],
    ['SELECT 1 INTO t', ['SELECT INTO', 'SELECT', 'CREATE TABLE', 'CREATE']],
    ['INSERT INTO t VALUES (1)', ['INSERT']],
    ['INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 2', ['INSERT', 'UPDATE']],
    ['INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', ['INSERT']],
    ['UPDATE t SET a = 1 WHERE id = 1', ['UPDATE']],
    ['DELETE FROM t WHERE id = 1', ['DELETE']],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', ['MERGE', 'DELETE']],
    ['DROP TABLE t', ['DROP TABLE', 'DROP']],
    ['DROP MATERIALIZED VIEW mv', ['DROP MATERIALIZED VIEW', 'DROP']],
    ['DROP SCHEMA s', ['DROP SCHEMA', 'DROP']],
    ['DROP DATABASE d', ['DROP DATABASE', 'DROP']],
    ['DROP USER u', ['DROP ROLE', 'DROP']],
    ['DROP FUNCTION f()', ['DROP FUNCTION', 'DROP']],
    ['DROP ROUTINE f', ['DROP ROUTINE', 'DROP FUNCTION', 'DROP PROCEDURE', 'DROP']],
    ['DROP OWNED BY bob', ['DROP OWNED', 'DROP']],
    ['TRUNCATE t', ['TRUNCATE']],
    ['ALTER TABLE t ADD COLUMN c int', ['ALTER TABLE', 'ALTER']],
    ['ALTER TABLE t RENAME COLUMN a TO b', ['ALTER TABLE', 'ALTER']],
    ['ALTER USER bob WITH SUPERUSER', ['ALTER ROLE', 'ALTER']],
    ['ALTER SYSTEM SET work_mem = 1', ['ALTER SYSTEM', 'ALTER']],
    ['ALTER SCHEMA a RENAME TO b', ['ALTER SCHEMA', 'ALTER']],
    ['CREATE TABLE t (a int)', ['CREATE TABLE', 'CREATE']],
    ['CREATE TABLE t AS SELECT 1', ['CREATE TABLE AS', 'CREATE TABLE', 'CREATE']],
    ['CREATE MATERIALIZED VIEW mv AS SELECT 1', ['CREATE MATERIALIZED VIEW', 'CREATE']],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$select 1$$', ['CREATE FUNCTION', 'CREATE']],
    ['CREATE PROCEDURE p() LANGUAGE sql AS $$select 1$$', ['CREATE PROCEDURE', 'CREATE']],
    ['CREATE EXTENSION dblink', ['CREATE EXTENSION', 'CREATE']],
    ['CREATE AGGREGATE a (int) (sfunc = int4pl, stype = int)', ['CREATE AGGREGATE', 'CREATE']],
    ['GRANT SELECT ON t TO bob', ['GRANT']],
    ['REVOKE SELECT ON t FROM bob', ['REVOKE']],
    ['GRANT pg_read_server_files TO bob', ['GRANT']],
    ['COPY t TO STDOUT', ['COPY TO', 'COPY']],
    ["COPY t TO '/tmp/x'", ['COPY TO', 'COPY FILE', 'COPY']],
    ["COPY t FROM PROGRAM 'id'", ['COPY FROM', 'COPY PROGRAM', 'COPY', 'INSERT']],
    ['COPY t FROM STDIN', ['COPY FROM', 'COPY', 'INSERT']],
    ['DO $$ BEGIN END $$', ['DO']],
    ['CALL p()', ['CALL']],
    ['EXECUTE p', ['EXECUTE']],
    ['PREPARE p AS SELECT 1', ['PREPARE']],
    ['DEALLOCATE ALL', ['DEALLOCATE']],
    ['EXPLAIN SELECT 1', ['EXPLAIN']],
    ['SET work_mem = 1', ['SET']],
    ['SET ROLE admin', ['SET ROLE', 'SET']],
    ['SET SESSION AUTHORIZATION admin', ['SET SESSION AUTHORIZATION', 'SET']],
    ['RESET ALL', ['RESET']],
    ['SHOW ALL', ['SHOW']],
    ['VACUUM t', ['VACUUM']],
    ['ANALYZE t', ['ANALYZE']],
    ['BEGIN', ['BEGIN', 'TRANSACTION']],
    ['START TRANSACTION', ['BEGIN', 'TRANSACTION']],
    ['COMMIT', ['COMMIT', 'TRANSACTION']],
    ['ROLLBACK TO SAVEPOINT s', ['ROLLBACK TO SAVEPOINT', 'TRANSACTION']],
    ['LOCK t', ['LOCK']],
    ['LOAD $$plpgsql$$', ['LOAD']],
    ['CHECKPOINT', ['CHECKPOINT']],
    ['REFRESH MATERIALIZED VIEW mv', ['REFRESH MATERIALIZED VIEW']],
    ['DECLARE c CURSOR FOR SELECT 1', ['DECLARE CURSOR']],
    ['FETCH 1 FROM c', ['FETCH']],
    ['COMMENT ON TABLE t IS NULL', ['COMMENT']],
  ])('%s', (sql, expected) => {
    expect(kindsOf(sql)).toEqual(expected);
  });

  test('every kind produced is in the vocabulary', () => {
    const samples = [
      'DROP TEXT SEARCH CONFIGURATION c',
      'ALTER FOREIGN DATA WRAPPER w OPTIONS (a $$b$$)',
      'CREATE SERVER s FOREIGN DATA WRAPPER w',
      'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob',
      'IMPORT FOREIGN SCHEMA r FROM SERVER s INTO l',
      'REASSIGN OWNED BY a TO b',
      'SECURITY LABEL ON TABLE t IS $$x$$',
      'CREATE RULE r AS ON INSERT TO t DO NOTHING',
      'ALTER FUNCTION f() OWNER TO bob',
      'ALTER TABLE t SET SCHEMA s',
      'CLUSTER t',
      'REINDEX TABLE t',
      'DISCARD ALL',
      'NOTIFY c',
      'LISTEN c',
      'UNLISTEN *',
      'CLOSE c',
      'MOVE c',
      'SET CONSTRAINTS ALL DEFERRED',
      'PREPARE TRANSACTION $$x$$',
    ];
    for (const sql of samples) {
      for (const kind of kindsOf(sql)) expect(STATEMENT_KINDS.has(kind) ? kind : `${sql} → ${kind}`).toBe(kind);
    }
  });
});

describe('canonicalStatementKind', () => {
  test.each([
    ['drop  table', 'DROP TABLE'],
    ['Alter User', 'ALTER ROLE'],
    ['CREATE GROUP', 'CREATE ROLE'],
    ['start transaction', 'BEGIN'],
    ['DROP', 'DROP'],
    ['COPY TO', 'COPY TO'],
  ])('%s → %s', (written, canonical) => {
    expect(canonicalStatementKind(written)).toBe(canonical);
  });

  test.each(['DROPP', 'DROP TABLES', '', 'SELECT *'])('rejects %j', (written) => {
    expect(canonicalStatementKind(written)).toBeNull();
  });
});
