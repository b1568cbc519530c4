// The parser sample of the README ("Parser"): what the analyser still cannot read after the
// pre-pass takes over what sqlparser-rs does not know (PREPARE, LOAD DATA, CREATE USER, SET
// PASSWORD, DO, INTO OUTFILE…). Those few are `unparsable`: refused unless a rule holds them.
import { readFileSync } from 'node:fs';
import { beforeAll, expect, test } from '@jest/globals';
import { analyzeMysqlText, initSqlParser } from '@postern/policy-mysql';

const sample = JSON.parse(readFileSync(new URL('../corpora/parser-sample.json', import.meta.url), 'utf8')) as {
  mysql: string[];
  mariadb: string[];
};

beforeAll(() => initSqlParser());

function unparsable(statements: readonly string[]): string[] {
  return statements.filter((sql) => {
    const analysis = analyzeMysqlText(sql);
    return !analysis.ok || analysis.all.some((statement) => statement.flags.includes('unparsable'));
  });
}

test('every MySQL form of the sample is read', () => {
  expect(sample.mysql.length).toBeGreaterThanOrEqual(39);
  expect(unparsable(sample.mysql)).toEqual([]);
});

test('MariaDB-only forms the parser does not know are unparsable, never passed', () => {
  expect(unparsable(sample.mariadb)).toEqual([
    "SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2020-01-01 00:00:00'",
    'SELECT NEXT VALUE FOR s',
    'CREATE TABLE t (a INT) WITH SYSTEM VERSIONING',
    'ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT',
  ]);
});
