// What the analyser assumes about the server, checked on the machine's MariaDB (127.0.0.1:3306,
// root, no password) in a scratch database: executable comments run, comments and quotes end
// where the lexer says, and statements are split where it says. Each case asserts the server's
// behaviour and the analyser's reading of the same text.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import mysql from 'mysql2/promise';
import { analyzeLineage, analyzeMysqlText, initSqlParser, type StatementFacts } from '@postern/policy-mysql';

const database = `postern_policy_mysql_${process.pid}`;
let connection: mysql.Connection;

beforeAll(async () => {
  await initSqlParser();
  connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
  await connection.query(`CREATE DATABASE ${database}`);
  await connection.query(`USE ${database}`);
});

afterAll(async () => {
  await connection.query(`DROP DATABASE IF EXISTS ${database}`);
  await connection.end();
});

async function freshTable(): Promise<void> {
  await connection.query(
    'DROP TABLE IF EXISTS t; CREATE TABLE t (a INT, b INT); INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)',
  );
}

async function rowCount(): Promise<number | null> {
  try {
    const [rows] = await connection.query('SELECT COUNT(*) AS n FROM t');
    return Number((rows as { n: number }[])[0]?.n);
  } catch {
    return null; // the table is gone
  }
}

function statements(sql: string): readonly StatementFacts[] {
  const analysis = analyzeMysqlText(sql);
  if (!analysis.ok) throw new Error(analysis.message);
  return analysis.statements;
}

describe('the analyser reads what MariaDB runs', () => {
  test('a version-gated executable comment runs: /*!50000 DROP TABLE t */', async () => {
    await freshTable();
    const sql = '/*!50000 DROP TABLE t */';
    await connection.query(sql);
    expect(await rowCount()).toBeNull();
    expect(statements(sql)[0]).toMatchObject({ kinds: ['DROP TABLE', 'DROP'], flags: ['executableComment'] });
  });

  test('a statement hidden after a SELECT runs: SELECT 1; /*!DELETE FROM t*/', async () => {
    await freshTable();
    const sql = 'SELECT 1; /*!DELETE FROM t*/';
    await connection.query(sql);
    expect(await rowCount()).toBe(0);
    expect(statements(sql).map((statement) => statement.kinds[0])).toEqual(['SELECT', 'DELETE']);
    expect(statements(sql)[1]?.missingWhere).toBe(true);
  });

  test('OR 1=1 in an executable comment widens a WHERE', async () => {
    await freshTable();
    const sql = 'UPDATE t SET b = 9 WHERE a = 1 /*! OR 1=1 */';
    const [result] = await connection.query(sql);
    expect((result as { affectedRows: number }).affectedRows).toBe(3);
    expect(statements(sql)[0]?.missingWhere).toBe(true);
  });

  test('MariaDB runs /*M! … */', async () => {
    await freshTable();
    const sql = 'SELECT 1; /*M!100000 DELETE FROM t */';
    await connection.query(sql);
    expect(await rowCount()).toBe(0);
    expect(statements(sql).map((statement) => statement.kinds[0])).toEqual(['SELECT', 'DELETE']);
  });

  test('a `;` inside an executable comment: the server refuses the text, the analyser splits there (fail closed)', async () => {
    await freshTable();
    const sql = 'SELECT 1 /*M! ; DELETE FROM t */';
    await expect(connection.query(sql)).rejects.toThrow('syntax');
    expect(await rowCount()).toBe(3);
    expect(statements(sql).map((statement) => statement.kinds[0])).toEqual(['SELECT', 'DELETE']);
  });

  test('comments, quotes and -- end where the lexer says', async () => {
    const cases: [string, unknown[]][] = [
      ['SELECT 1 --1', [2]],
      ["SELECT 'a\\'b' /* ' */", ["a'b"]],
      ['SELECT 1 /* a /* b */ , 2', [1, 2]],
      ['SELECT 3 /*! , 4 /* inner */ , 5 */', [3, 4, 5]],
      ["SELECT 1 /*! , '*/' */", [1, '*/']],
      ['SELECT 8 /*M!100000 , 9 */', [8, 9]],
    ];
    for (const [sql, values] of cases) {
      const [rows] = await connection.query({ sql, rowsAsArray: true });
      expect([
        sql,
        (rows as unknown[][])[0]?.map((value) => (typeof value === 'string' ? value : Number(value))),
      ]).toEqual([sql, values]);
      expect([sql, statements(sql).length]).toEqual([sql, 1]);
    }
  });

  test('a version above the server is skipped by it, and still read as code here (fail closed)', async () => {
    const sql = 'SELECT 6 /*!999999 , 7 */';
    const [rows] = await connection.query({ sql, rowsAsArray: true });
    expect((rows as unknown[][])[0]).toHaveLength(1);
    const lexed = statements(sql)[0];
    expect(lexed?.flags).toContain('executableComment');
    expect(lexed?.code).toContain(', 7');
  });

  test('PREPARE from a variable runs whatever the variable holds', async () => {
    await freshTable();
    const sql = "SET @s = 'DROP TABLE t'; PREPARE p FROM @s; EXECUTE p";
    await connection.query(sql);
    expect(await rowCount()).toBeNull();
    const [, prepare] = statements(sql);
    expect(prepare).toMatchObject({
      kinds: ['PREPARE'],
      unresolvedDynamicSql: true,
      flags: ['prepared', 'multiStatement'],
    });
  });

  test('result metadata names a derived table, not its base table: lineage does', async () => {
    await freshTable();
    const sql = 'SELECT x.m, (SELECT b FROM t LIMIT 1) AS s FROM (SELECT a AS m FROM t) x';
    const [, fields] = await connection.query(sql);
    expect(fields.map((field) => `${field.orgTable}.${field.orgName}`)).toEqual(['x.m', '.']);
    const lineage = analyzeLineage(sql);
    if (!lineage.ok) throw new Error(lineage.message);
    expect(lineage.statements[0]?.outputs).toMatchObject([
      { kind: 'value', named: false, lineage: { sources: [{ relation: 't', column: 'a' }] } },
      { kind: 'value', named: false, lineage: { sources: [{ relation: 't', column: 'b' }] } },
    ]);
  });

  test('a mysqldump of a schema is read whole: nothing unparsable, its sql_mode changes seen', async () => {
    await freshTable();
    await connection.query('CREATE OR REPLACE VIEW v AS SELECT a FROM t');
    await connection.query('CREATE PROCEDURE p() BEGIN SELECT * FROM t WHERE a = 1; END');
    await connection.query('CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.b = NEW.a');
    const dump = execFileSync('mysqldump', ['-h', '127.0.0.1', '-u', 'root', '--routines', '--triggers', database], {
      encoding: 'utf8',
    });
    const texts = clientStatements(dump);
    expect(texts.length).toBeGreaterThan(40);
    const unread = texts.filter((text) => {
      const analysis = analyzeMysqlText(text);
      return !analysis.ok || analysis.all.some((statement) => statement.flags.includes('unparsable'));
    });
    expect(unread).toEqual([]);
    const flags = new Set(texts.flatMap((text) => statements(text).flatMap((statement) => statement.flags)));
    expect([...flags].sort()).toEqual(['executableComment', 'sqlMode', 'systemVariable']);
  });
});

/** Statements as the mysql client sends a file: split at its delimiter, DELIMITER lines not sent. */
function clientStatements(script: string): string[] {
  const texts: string[] = [];
  let delimiter = ';';
  let buffer = '';
  for (const line of script.split('\n')) {
    const change = /^DELIMITER\s+(\S+)/i.exec(line);
    if (change) {
      delimiter = change[1] as string;
      continue;
    }
    buffer += `${line}\n`;
    if (line.trimEnd().endsWith(delimiter)) {
      const text = buffer.trimEnd().slice(0, -delimiter.length).trim();
      if (text !== '' && !/^(--[^\n]*\n?)*$/.test(text)) texts.push(text);
      buffer = '';
    }
  }
  return texts;
}
