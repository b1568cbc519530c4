// Generates blocked.jsonl and allowed.jsonl from the hand-written bases below: each base is
// written in several obfuscated forms (case, whitespace, comments, executable comments in every
// position, version-gated and MariaDB-only ones, multi-statements, PREPARE of a literal, EXECUTE
// IMMEDIATE, SET STATEMENT … FOR, stored-program bodies). Deterministic: rerun after editing
// the bases with `node libs/policy-mysql/test/corpora/guardrails/generate.mjs`.
import { writeFileSync } from 'node:fs';

// [sql, class, rule, note]
const BLOCKED = [
  ['DROP TABLE orders', 'kind', 'no-drop', 'plain DROP TABLE'],
  ['DROP TABLE IF EXISTS shop.orders, shop.customers', 'kind', 'no-drop', 'qualified list, IF EXISTS'],
  ['DROP DATABASE shop', 'kind', 'no-drop', 'DROP DATABASE'],
  ['DROP SCHEMA IF EXISTS shop', 'kind', 'no-drop', 'DROP SCHEMA'],
  ['DROP VIEW shop.v_orders', 'kind', 'no-drop', 'DROP VIEW'],
  ['TRUNCATE TABLE orders', 'kind', 'no-truncate', 'TRUNCATE TABLE'],
  ['TRUNCATE shop.orders', 'kind', 'no-truncate', 'TRUNCATE without TABLE'],
  ['DELETE FROM customers', 'missing-where', 'no-mass-dml', 'DELETE without WHERE'],
  ['DELETE FROM customers LIMIT 1000', 'missing-where', 'no-mass-dml', 'LIMIT is not a row filter'],
  ['UPDATE customers SET email = NULL', 'missing-where', 'no-mass-dml', 'UPDATE without WHERE'],
  ['UPDATE customers SET email = NULL ORDER BY id LIMIT 10', 'missing-where', 'no-mass-dml', 'ORDER BY … LIMIT'],
  ['DELETE FROM customers WHERE 1', 'constant-where', 'no-mass-dml', 'WHERE 1'],
  ['DELETE FROM customers WHERE 1=1', 'constant-where', 'no-mass-dml', 'WHERE 1=1'],
  ['UPDATE customers SET vip = 1 WHERE TRUE', 'constant-where', 'no-mass-dml', 'WHERE TRUE'],
  ['DELETE FROM customers WHERE id = 5 OR 1=1', 'constant-where', 'no-mass-dml', 'OR 1=1'],
  ["DELETE FROM customers WHERE 'a' = 'a'", 'constant-where', 'no-mass-dml', 'string tautology'],
  ['DELETE FROM customers WHERE "x" = "x"', 'constant-where', 'no-mass-dml', 'double quotes are strings in MySQL'],
  ['UPDATE customers SET vip = 1 WHERE NOT 0', 'constant-where', 'no-mass-dml', 'NOT 0'],
  ['UPDATE customers SET vip = 1 WHERE 2 > 1', 'constant-where', 'no-mass-dml', 'constant comparison'],
  ["DELETE FROM customers WHERE '1abc'", 'constant-where', 'no-mass-dml', 'string read as its leading number'],
  ['DELETE FROM customers WHERE @all', 'constant-where', 'no-mass-dml', 'a user variable is no row filter'],
  ['DELETE FROM customers WHERE (id = 3) OR (TRUE)', 'constant-where', 'no-mass-dml', 'parenthesised OR TRUE'],
  ['DELETE FROM customers WHERE id = 5 || 1=1', 'constant-where', 'no-mass-dml', '|| is OR in MySQL'],
  ['DELETE FROM customers WHERE EXISTS (SELECT 1 FROM dual)', 'constant-where', 'no-mass-dml', 'uncorrelated EXISTS'],
  [
    'UPDATE customers SET vip = 1 WHERE (SELECT COUNT(*) FROM orders) > 0',
    'constant-where',
    'no-mass-dml',
    'uncorrelated scalar subquery',
  ],
  ['DELETE FROM customers WHERE 1 IN (1, 2)', 'constant-where', 'no-mass-dml', 'constant IN list'],
  ['DELETE FROM customers WHERE 1 BETWEEN 0 AND 2', 'constant-where', 'no-mass-dml', 'constant BETWEEN'],
  ["DELETE FROM customers WHERE 'x' LIKE '%'", 'constant-where', 'no-mass-dml', 'constant LIKE'],
  [
    'DELETE FROM customers WHERE CURRENT_USER() = CURRENT_USER()',
    'constant-where',
    'no-mass-dml',
    'same call both sides',
  ],
  ['UPDATE customers SET vip = 1 WHERE id = 5 XOR 1 OR 1', 'constant-where', 'no-mass-dml', 'XOR then OR 1'],
  [
    'UPDATE customers c JOIN orders o ON o.customer_id = c.id SET c.vip = 1',
    'multi-table',
    'no-mass-dml',
    'multi-table UPDATE without WHERE',
  ],
  [
    'DELETE c FROM customers c JOIN payments p ON p.customer_id = c.id',
    'multi-table',
    'no-mass-dml',
    'multi-table DELETE without WHERE',
  ],
  ["LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE notes", 'files', 'server-files', 'LOAD DATA LOCAL'],
  [
    "LOAD DATA INFILE '/var/lib/mysql-files/x.csv' INTO TABLE notes",
    'files',
    'server-files',
    'LOAD DATA (server file)',
  ],
  ["LOAD XML LOCAL INFILE '/tmp/x.xml' INTO TABLE notes", 'files', 'server-files', 'LOAD XML'],
  ["SELECT * FROM customers INTO OUTFILE '/tmp/customers.csv'", 'files', 'server-files', 'INTO OUTFILE'],
  ["SELECT email INTO DUMPFILE '/tmp/x' FROM customers LIMIT 1", 'files', 'server-files', 'INTO DUMPFILE before FROM'],
  ["SELECT LOAD_FILE('/etc/passwd')", 'files', 'server-files', 'LOAD_FILE()'],
  ['SELECT SLEEP(10)', 'function', 'dangerous-functions', 'SLEEP'],
  ["SELECT BENCHMARK(100000000, MD5('x'))", 'function', 'dangerous-functions', 'BENCHMARK'],
  ['DO SLEEP(5)', 'function', 'dangerous-functions', 'DO SLEEP'],
  ["SELECT GET_LOCK('deploy', 10)", 'function', 'dangerous-functions', 'GET_LOCK'],
  ["SELECT sys_exec('id')", 'function', 'dangerous-functions', 'a command UDF'],
  ['SELECT id FROM customers WHERE SLEEP(1) = 0', 'function', 'dangerous-functions', 'SLEEP in WHERE'],
  ['PREPARE p FROM @q', 'dynamic', 'no-unchecked-dynamic-sql', 'PREPARE from a variable'],
  ['EXECUTE IMMEDIATE @q', 'dynamic', 'no-unchecked-dynamic-sql', 'EXECUTE IMMEDIATE of a variable'],
  [
    "EXECUTE IMMEDIATE CONCAT('DROP ', 'TABLE orders')",
    'dynamic',
    'no-unchecked-dynamic-sql',
    'EXECUTE IMMEDIATE of an expression',
  ],
  ['SELECT * FROM secrets', 'relation', 'protect-secrets', 'plain'],
  ['SELECT s.token FROM shop.secrets s', 'relation', 'protect-secrets', 'qualified, aliased'],
  ['SELECT * FROM `secrets`', 'relation', 'protect-secrets', 'backquoted'],
  ['SELECT * FROM SECRETS', 'relation', 'protect-secrets', 'upper case'],
  ['SELECT (SELECT token FROM secrets LIMIT 1) AS t', 'relation', 'protect-secrets', 'scalar subquery'],
  ['INSERT INTO audit SELECT * FROM secrets', 'relation', 'protect-secrets', 'INSERT … SELECT'],
  ['CREATE TABLE stolen AS SELECT * FROM secrets', 'relation', 'protect-secrets', 'CREATE TABLE AS'],
  ['CREATE VIEW v AS SELECT * FROM secrets', 'relation', 'protect-secrets', 'CREATE VIEW'],
  [
    'UPDATE customers SET note = (SELECT token FROM secrets LIMIT 1) WHERE id = 1',
    'relation',
    'protect-secrets',
    'subquery in SET',
  ],
  ['WITH x AS (SELECT * FROM secrets) SELECT * FROM x', 'relation', 'protect-secrets', 'CTE'],
  ['SELECT a FROM t1 UNION SELECT token FROM secrets', 'relation', 'protect-secrets', 'UNION'],
  ['HANDLER secrets OPEN', 'relation', 'protect-secrets', 'HANDLER'],
  ['LOCK TABLES secrets READ', 'relation', 'protect-secrets', 'LOCK TABLES'],
  ['SELECT * FROM billing.invoices', 'schema', 'billing-schema', 'qualified relation'],
  ['USE billing', 'schema', 'billing-schema', 'USE'],
  ["GRANT ALL PRIVILEGES ON *.* TO 'eve'@'%'", 'admin', 'privileged-admin', 'GRANT'],
  ["REVOKE SELECT ON shop.* FROM 'app'@'%'", 'admin', 'privileged-admin', 'REVOKE'],
  ["CREATE USER 'eve'@'%' IDENTIFIED BY 'x'", 'admin', 'privileged-admin', 'CREATE USER'],
  ["ALTER USER 'root'@'localhost' IDENTIFIED BY 'x'", 'admin', 'privileged-admin', 'ALTER USER'],
  ["SET PASSWORD FOR 'root'@'localhost' = PASSWORD('x')", 'admin', 'privileged-admin', 'SET PASSWORD'],
  ["RENAME USER 'a'@'%' TO 'b'@'%'", 'admin', 'privileged-admin', 'RENAME USER'],
  ["INSTALL SONAME 'ha_connect'", 'admin', 'privileged-admin', 'INSTALL SONAME'],
  ['SET GLOBAL general_log = 0', 'settings', 'session-settings', 'SET GLOBAL'],
  ["SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'", 'settings', 'session-settings', 'sql_mode changes lexing'],
  ['SET sql_log_bin = 0', 'settings', 'session-settings', 'sql_log_bin'],
  ['SET @@global.read_only = 0', 'settings', 'session-settings', '@@global.'],
  ["SET @@sql_mode = 'ANSI_QUOTES'", 'settings', 'session-settings', '@@sql_mode'],
  ['CALL admin_purge(30)', 'call', 'admin-procedures', 'CALL of a procedure by name pattern'],
  ['CALL ops.rotate_keys()', 'call', 'admin-procedures', 'CALL of a procedure in a database'],
  ['SELECT ops.report(1)', 'call', 'admin-procedures', 'a stored function in a database'],
  ['DELETE FROM orders WHERE id = 7', 'relation-kind', 'orders-no-delete', 'DELETE with WHERE'],
  ['DELETE FROM shop.orders WHERE id IN (1, 2)', 'relation-kind', 'orders-no-delete', 'qualified'],
  [
    'REPLACE INTO orders (id, total) VALUES (1, 0)',
    'relation-kind',
    'orders-no-delete',
    'REPLACE deletes colliding rows',
  ],
];

// Hand-written attack forms that the transforms do not produce.
const SPECIAL_BLOCKED = [
  [
    'SELECT 1 /*! ; DROP TABLE orders */',
    'exec-comment',
    'no-drop',
    'statement separator inside an executable comment',
  ],
  ['SELECT 1/*!*/;DROP TABLE orders', 'multi-statement', 'no-drop', 'empty executable comment then a statement'],
  ['/*!50000DROP*/ TABLE orders', 'exec-comment', 'no-drop', 'keyword alone in an executable comment'],
  ['/*!DROP*//*!TABLE*//*!orders*/', 'exec-comment', 'no-drop', 'a statement spread over executable comments'],
  ['/*M!100000 DROP TABLE orders */', 'exec-comment', 'no-drop', 'MariaDB-only, 6-digit version'],
  ['SELECT 1 /*!50000 , 2 */; /*M!TRUNCATE orders*/', 'exec-comment', 'no-truncate', 'mixed executable comments'],
  ["SELECT 'a\\'b'; DROP TABLE orders", 'quoting', 'no-drop', 'escaped quote does not end the string'],
  ["SELECT 'a''b'; DROP TABLE orders", 'quoting', 'no-drop', 'doubled quote'],
  ['SELECT "x\\""; DROP TABLE orders', 'quoting', 'no-drop', 'escaped double quote'],
  ['SELECT `a``b`; DROP TABLE orders', 'quoting', 'no-drop', 'doubled backquote'],
  ["SELECT 'a\\' ; DROP TABLE orders; -- '", 'quoting', 'no-drop', 'a DROP when the session has NO_BACKSLASH_ESCAPES'],
  ['SELECT "a\\" ; TRUNCATE orders; -- "', 'quoting', 'no-truncate', 'same with double quotes (ANSI_QUOTES)'],
  ['SELECT 1 --1\n; DROP TABLE orders', 'comment', 'no-drop', '--1 is not a comment'],
  ['SELECT 1 -- x\n; DROP TABLE orders', 'comment', 'no-drop', 'line comment ends at the newline'],
  ['SELECT 1 #x\n; DROP TABLE orders', 'comment', 'no-drop', '# comment ends at the newline'],
  ['SELECT 1 /* x */; DROP TABLE orders', 'comment', 'no-drop', 'block comment'],
  ['SELECT 1 /* /* */; DROP TABLE orders', 'comment', 'no-drop', 'comments do not nest'],
  ['SELECT 1 /*+ hint */; DROP TABLE orders', 'comment', 'no-drop', 'optimizer hint comment'],
  ["SELECT 1 /*! , '*/' */; DROP TABLE orders", 'exec-comment', 'no-drop', '*/ inside a string inside /*!'],
  ['SET STATEMENT max_statement_time=10 FOR DELETE FROM customers', 'wrapper', 'no-mass-dml', 'SET STATEMENT … FOR'],
  ['ANALYZE DELETE FROM customers', 'wrapper', 'no-mass-dml', 'MariaDB ANALYZE runs the statement'],
  ['EXPLAIN ANALYZE DELETE FROM customers', 'wrapper', 'no-mass-dml', 'MySQL EXPLAIN ANALYZE runs it'],
  ['BEGIN NOT ATOMIC DELETE FROM customers; END', 'program', 'no-mass-dml', 'anonymous compound statement'],
  [
    'CREATE TRIGGER t BEFORE INSERT ON notes FOR EACH ROW DELETE FROM customers',
    'program',
    'no-mass-dml',
    'trigger body',
  ],
  ['CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO TRUNCATE orders', 'program', 'no-truncate', 'event body'],
  [
    'CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END; DROP TABLE orders',
    'program',
    'no-drop',
    'a statement after a procedure',
  ],
  [
    'CREATE PROCEDURE p() SELECT begin FROM t; DROP TABLE orders',
    'program',
    'no-drop',
    'a non-reserved BEGIN must not swallow the next statement',
  ],
  ['WITH x AS (SELECT 1) DELETE FROM customers', 'kind', 'no-mass-dml', 'WITH before DELETE'],
  ['lbl: BEGIN NOT ATOMIC DELETE FROM customers; END', 'program', 'no-mass-dml', 'labelled compound statement'],
  ['IF 1 THEN DELETE FROM customers; END IF', 'program', 'no-mass-dml', 'top-level IF (MariaDB)'],
  ['IF (1 > 0) THEN SELECT 1; END IF; DROP TABLE orders', 'program', 'no-drop', 'after a parenthesised IF'],
  ['ALTER EVENT e DO BEGIN TRUNCATE orders; END', 'program', 'no-truncate', 'ALTER EVENT body'],
  ['(SELECT * FROM secrets)', 'relation', 'protect-secrets', 'parenthesised query'],
  ['TABLE secrets', 'relation', 'protect-secrets', 'TABLE statement'],
  ['SELECT * FROM shop . secrets', 'relation', 'protect-secrets', 'spaces around the dot'],
  ['SHOW CREATE TABLE secrets', 'relation', 'protect-secrets', 'SHOW CREATE TABLE'],
  ['SHOW COLUMNS FROM secrets FROM shop', 'relation', 'protect-secrets', 'SHOW COLUMNS'],
  ['SHOW TABLES FROM billing', 'schema', 'billing-schema', 'SHOW TABLES FROM a database'],
  ['SHOW FULL TABLES IN billing', 'schema', 'billing-schema', 'SHOW FULL TABLES IN'],
  ['ALTER DATABASE billing CHARACTER SET utf8mb4', 'schema', 'billing-schema', 'ALTER DATABASE'],
  ['CREATE DATABASE IF NOT EXISTS billing', 'schema', 'billing-schema', 'CREATE DATABASE'],
  ['DELETE FROM customers WHERE ?', 'constant-where', 'no-mass-dml', 'a placeholder is no row filter'],
  ["PREPARE p FROM '/*!50000 DROP TABLE orders */'", 'dynamic', 'no-drop', 'executable comment inside PREPARE text'],
  ["PREPARE p FROM 'DELETE FROM customers'; EXECUTE p", 'dynamic', 'no-mass-dml', 'PREPARE of a literal'],
  ['DROP\u000bTABLE orders', 'unicode', 'no-drop', 'vertical tab is whitespace to the server'],
  ['DROP\fTABLE\rorders', 'unicode', 'no-drop', 'form feed and carriage return'],
  ['DROP\u0001TABLE orders', 'unicode', 'no-drop', 'a control character: refused by the server, read as a space here'],
  ['DROP\u00a0TABLE orders', 'unicode', null, 'no-break space is part of a name to the server', 'invalid'],
  ['ＤＲＯＰ TABLE orders', 'unicode', null, 'full-width letters are a name, not a keyword', 'invalid'],
  ['DROP TABLE ordérs, orders', 'unicode', 'no-drop', 'non-ASCII name in a list'],
  ['DR/**/OP TABLE orders', 'comment', null, 'a comment splits a keyword: the server refuses it too', 'invalid'],
  ["SELECT 'unterminated", 'quoting', null, 'unterminated string', 'invalid'],
  ['SELECT 1 /*! DROP TABLE orders', 'exec-comment', null, 'unterminated executable comment', 'invalid'],
];

const ALLOWED = [
  ['SELECT * FROM orders WHERE id = 1', 'select', 'plain'],
  ['SELECT c.email FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 100', 'select', 'join'],
  ['SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 1', 'select', 'aggregate'],
  ["SELECT 'DROP TABLE orders' AS msg", 'string', 'DROP inside a string'],
  ["SELECT '/*! DROP TABLE orders */' AS x", 'string', 'an executable comment inside a string'],
  ['SELECT "/*!50000 DELETE FROM customers */"', 'string', 'inside a double-quoted string'],
  ["SELECT * FROM customers WHERE note = 'x; DROP TABLE orders; --'", 'string', 'separator in a string'],
  ["SELECT * FROM orders WHERE note LIKE '%LOAD_FILE(%'", 'string', 'a function name in a string'],
  ['SELECT \'It\\\'s\', "say \\"hi\\"" FROM orders', 'string', 'escaped quotes'],
  ["INSERT INTO customers (id, name) VALUES (1, 'O\\'Brien'), (2, 'D\\'Arcy')", 'string', 'ORM-escaped quotes'],
  ['SELECT 1 /* DROP TABLE orders */', 'comment', 'DROP in a comment'],
  ['-- DROP TABLE orders\nSELECT 1', 'comment', 'DROP in a line comment'],
  ['# DELETE FROM customers\nSELECT 1', 'comment', '# comment'],
  ['SELECT 1 --1', 'comment', 'arithmetic, not a comment'],
  ['SELECT `drop`, `table`, `delete` FROM orders', 'identifier', 'keywords as quoted identifiers'],
  ['SELECT sleep, benchmark FROM timings', 'identifier', 'columns named like functions'],
  ['SELECT * FROM secrets_archive', 'identifier', 'a name that only starts like a protected one'],
  ['SELECT * FROM sécrets', 'unicode', 'a name that only looks like a protected one'],
  ["SELECT 'DROP TABLE orders' AS `ＤＲＯＰ`", 'unicode', 'full-width identifier'],
  ['SELECT * FROM billing_archive.invoices', 'identifier', 'a database that only starts like billing'],
  ["SELECT 'billing.invoices', 'secrets'", 'string', 'names in strings'],
  ["UPDATE customers SET email = 'a@b.c' WHERE id = 3", 'write', 'UPDATE with WHERE'],
  ['UPDATE customers SET email = ? WHERE id = ?', 'write', 'placeholders'],
  ['DELETE FROM customers WHERE id = 5', 'write', 'DELETE with WHERE'],
  ['DELETE FROM customers WHERE id = 5 LIMIT 1', 'write', 'DELETE with WHERE and LIMIT'],
  ['DELETE FROM customers WHERE created < NOW() - INTERVAL 1 YEAR', 'write', 'WHERE on a date'],
  ['UPDATE customers SET vip = 1 WHERE NOT (id = 1 OR 1 = 1) OR id = 3', 'write', 'NOT of a tautology'],
  ['DELETE FROM customers WHERE id = 5 && 1=1', 'write', '&& is AND, with AND’s precedence'],
  [
    'DELETE FROM customers WHERE EXISTS (SELECT 1 FROM payments p WHERE p.customer_id = customers.id)',
    'write',
    'correlated EXISTS',
  ],
  ['DELETE c FROM customers c WHERE c.id IN (SELECT customer_id FROM refunds)', 'write', 'IN a subquery'],
  ['INSERT INTO orders (id, total) VALUES (1, 10.5)', 'write', 'INSERT'],
  [
    "INSERT INTO customers (id, email) VALUES (1, 'x') ON DUPLICATE KEY UPDATE email = VALUES(email)",
    'write',
    'upsert of listed rows',
  ],
  [
    'UPDATE customers c JOIN orders o ON o.customer_id = c.id SET c.vip = 1 WHERE o.total > 1000',
    'write',
    'multi-table UPDATE with WHERE',
  ],
  ['START TRANSACTION', 'transaction', 'begin'],
  ['COMMIT', 'transaction', 'commit'],
  ['ROLLBACK', 'transaction', 'rollback'],
  ['SAVEPOINT a', 'transaction', 'savepoint'],
  ['SHOW TABLES', 'show', 'show'],
  ['SHOW FULL PROCESSLIST', 'show', 'processlist'],
  ['EXPLAIN SELECT * FROM orders', 'explain', 'explain a select'],
  ['EXPLAIN DELETE FROM customers', 'explain', 'EXPLAIN without ANALYZE does not run it'],
  ['SET NAMES utf8mb4', 'settings', 'SET NAMES'],
  ['SET autocommit = 0', 'settings', 'a session variable'],
  ['SET @x = 1', 'settings', 'a user variable'],
  ['/*!40101 SET NAMES utf8mb4 */', 'exec-comment', 'mysqldump header'],
  ['/*!40014 SET FOREIGN_KEY_CHECKS=0 */', 'exec-comment', 'mysqldump header'],
  ['SELECT 1 /*!99999 , 2 */', 'exec-comment', 'benign code in a version-gated comment'],
  ['SELECT id INTO @x FROM orders LIMIT 1', 'select', 'INTO a variable'],
  ["PREPARE p FROM 'SELECT * FROM orders WHERE id = ?'", 'prepared', 'PREPARE of a literal'],
  ['EXECUTE p USING @id', 'prepared', 'EXECUTE'],
  ['DEALLOCATE PREPARE p', 'prepared', 'DEALLOCATE'],
  ["SELECT NOW(), UUID(), CONCAT('a', 'b'), JSON_EXTRACT(doc, '$.a') FROM orders", 'select', 'built-ins'],
  ['CALL refresh_stats()', 'call', 'a procedure call no rule names'],
  ['DO 1', 'do', 'DO of a constant'],
  ['CREATE TABLE t2 (id INT PRIMARY KEY, note VARCHAR(20))', 'ddl', 'CREATE TABLE'],
  ['ALTER TABLE orders ADD COLUMN note TEXT', 'ddl', 'ALTER TABLE'],
  ['CREATE PROCEDURE p() BEGIN SELECT * FROM orders WHERE id = 1; END', 'program', 'a harmless procedure'],
  ['SELECT * FROM orders WHERE status = "DELETE"', 'string', 'a double-quoted string'],
  ['SELECT a FROM t1 UNION ALL SELECT b FROM t2', 'select', 'UNION'],
  ['WITH x AS (SELECT id FROM orders) SELECT * FROM x', 'select', 'CTE'],
];

let seed = 42;
function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

/** Random case outside quotes. */
function randomCase(sql) {
  let out = '';
  let quote = null;
  for (const char of sql) {
    if (quote) {
      out += char;
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
      out += char;
    } else out += random() < 0.5 ? char.toLowerCase() : char.toUpperCase();
  }
  return out;
}

const quoteString = (sql) => `'${sql.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
const firstSpace = (sql) => sql.indexOf(' ');

/** Obfuscations of one statement: [sql, note suffix]. */
function variants(sql, kind) {
  const hasComment = /--|#|\/\*/.test(sql);
  const out = [
    [sql, ''],
    [randomCase(sql), 'random case'],
    [sql.replace(' ', ' /* x */ '), 'comment between tokens'],
    [`-- note\n${sql} # done`, 'line comments around'],
    [`SELECT 1; ${sql}`, 'after another statement'],
  ];
  // A comment's end would move: a newline ends `-- …`, and `/*!` does not nest.
  if (hasComment) return out;
  out.push(
    [sql.replace(/ /g, '\n\t  '), 'newlines and tabs'],
    [`/*!${sql}*/`, 'in /*! */'],
    [`/*!50000 ${sql} */`, 'in /*!50000 */'],
    [`/*M! ${sql} */`, 'in MariaDB /*M! */'],
    [`/*!99999 ${sql} */`, 'in a version above the server (counted as run)'],
    [`SELECT 1; /*!${sql}*/`, 'hidden after another statement'],
  );
  const space = firstSpace(sql);
  if (space > 0) out.push([`${sql.slice(0, space)} /*!${sql.slice(space)} */`, 'tail in /*! */']);
  if (!sql.includes(';') && kind !== 'allowed') {
    out.push([`PREPARE p FROM ${quoteString(sql)}`, 'PREPARE of a literal']);
    out.push([`EXECUTE IMMEDIATE ${quoteString(sql)}`, 'EXECUTE IMMEDIATE of a literal']);
    out.push([`CREATE PROCEDURE p() BEGIN ${sql}; END`, 'procedure body']);
  }
  return out;
}

const lines = (entries) => entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';

const blocked = [];
for (const [sql, cls, rule, note] of BLOCKED) {
  for (const [variant, how] of variants(sql, 'blocked')) {
    blocked.push({ sql: variant, class: cls, note: how ? `${note}, ${how}` : note, rule });
  }
}
for (const [sql, cls, rule, note, action] of SPECIAL_BLOCKED) {
  blocked.push({ sql, class: cls, note, ...(rule ? { rule } : {}), ...(action ? { action } : {}) });
}

const allowed = [];
for (const [sql, cls, note] of ALLOWED) {
  for (const [variant, how] of variants(sql, 'allowed')) {
    if (how.startsWith('in a version above') || how.startsWith('after another')) continue;
    allowed.push({ sql: variant, class: cls, note: how ? `${note}, ${how}` : note });
  }
}

const here = new URL('.', import.meta.url);
writeFileSync(new URL('blocked.jsonl', here), lines(blocked));
writeFileSync(new URL('allowed.jsonl', here), lines(allowed));
process.stdout.write(`blocked.jsonl: ${blocked.length} lines, allowed.jsonl: ${allowed.length} lines\n`);
