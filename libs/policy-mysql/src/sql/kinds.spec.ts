// Statement kinds from the leading keywords: what `statementKinds` in a MySQL rule matches.
import { describe, expect, test } from '@jest/globals';
import { canonicalStatementKind } from './kinds.js';
import { statementKinds } from './statement-kinds.js';
import { lex } from './lexer.js';

function kinds(sql: string): string[] {
  const result = lex(sql);
  if (!result.ok) throw new Error(result.message);
  return statementKinds(result.tokens);
}

describe('MySQL statement kinds', () => {
  test.each([
    ['SELECT 1', ['SELECT']],
    ['(SELECT 1) UNION (SELECT 2)', ['SELECT']],
    ['WITH x AS (SELECT 1) UPDATE t SET a = 1', ['UPDATE']],
    ['TABLE t', ['TABLE', 'SELECT']],
    ['INSERT INTO t VALUES (1)', ['INSERT']],
    ['INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1', ['INSERT', 'UPDATE']],
    ['REPLACE INTO t VALUES (1)', ['REPLACE', 'INSERT', 'DELETE']],
    ['LOAD DATA LOCAL INFILE "x" INTO TABLE t', ['LOAD DATA', 'INSERT']],
    ['DROP TEMPORARY TABLE IF EXISTS t', ['DROP TABLE', 'DROP']],
    ['CREATE OR REPLACE DEFINER = `a`@`%` SQL SECURITY INVOKER VIEW v AS SELECT 1', ['CREATE VIEW', 'CREATE']],
    ['CREATE UNIQUE INDEX i ON t (a)', ['CREATE INDEX', 'CREATE']],
    ['CREATE DEFINER=root@localhost PROCEDURE p() SELECT 1', ['CREATE PROCEDURE', 'CREATE']],
    ['ALTER SCHEMA shop CHARACTER SET utf8mb4', ['ALTER DATABASE', 'ALTER']],
    ['RENAME TABLE a TO b', ['RENAME TABLE', 'RENAME', 'ALTER TABLE', 'ALTER']],
    ["SET PASSWORD FOR 'a'@'%' = 'x'", ['SET PASSWORD', 'ALTER USER', 'ALTER', 'SET']],
    ['SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE', ['SET TRANSACTION', 'SET']],
    ['SET STATEMENT max_statement_time = 1 FOR SELECT 1', ['SET STATEMENT', 'SET']],
    ['START TRANSACTION READ ONLY', ['BEGIN', 'TRANSACTION']],
    ['BEGIN NOT ATOMIC SELECT 1; END', ['COMPOUND']],
    ['ROLLBACK TO SAVEPOINT a', ['ROLLBACK TO SAVEPOINT', 'TRANSACTION']],
    ['ROLLBACK AND NO CHAIN', ['ROLLBACK', 'TRANSACTION']],
    ['EXECUTE IMMEDIATE "SELECT 1"', ['EXECUTE IMMEDIATE', 'EXECUTE']],
    ['DROP PREPARE p', ['DEALLOCATE PREPARE']],
    ['DESC t', ['EXPLAIN']],
    ['ANALYZE TABLE t', ['ANALYZE TABLE', 'ANALYZE']],
    ['HANDLER t OPEN', ['HANDLER']],
    ['FROBNICATE t', ['UNKNOWN']],
  ])('%s', (sql, expected) => {
    expect(kinds(sql)).toEqual(expected);
  });

  test('rules name kinds in any case and with aliases', () => {
    expect(canonicalStatementKind(' drop   schema ')).toBe('DROP DATABASE');
    expect(canonicalStatementKind('describe')).toBe('EXPLAIN');
    expect(canonicalStatementKind('COPY')).toBeNull();
  });
});
