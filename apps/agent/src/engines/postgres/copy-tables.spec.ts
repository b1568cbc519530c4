import { beforeAll, describe, expect, test } from '@jest/globals';
import { initSqlParser } from '@postern/policy-postgres';
import { copiedColumns, copyFollowsOtherStatements, copyTablesQuery } from './copy-tables.js';

beforeAll(async () => {
  await initSqlParser();
});

// Rows as copyTablesQuery returns them: index, schema, table, column, type OID, generated.
const rows = [
  ['0', 'app', 'vault', 'id', '23', 'f'],
  ['0', 'app', 'vault', 'secret', '25', 'f'],
  ['0', 'app', 'vault', 'shout', '25', 't'],
  ['1', null, null, null, null, null],
];

describe('copiedColumns', () => {
  test('all columns but the generated ones; a column list in its order; PostgreSQL’s errors otherwise', () => {
    const vault = { schema: null, name: 'vault' };
    expect(
      copiedColumns(
        [
          { relation: vault, columns: null },
          { relation: { schema: 's', name: 'gone' }, columns: null },
        ],
        rows,
      ),
    ).toEqual([
      {
        schema: 'app',
        table: 'vault',
        columns: [
          { name: 'id', typeOid: 23 },
          { name: 'secret', typeOid: 25 },
        ],
      },
      { code: '42P01', message: 'relation "s.gone" does not exist' },
    ]);
    expect(copiedColumns([{ relation: vault, columns: ['shout', 'id'] }], rows)).toEqual([
      {
        schema: 'app',
        table: 'vault',
        columns: [
          { name: 'shout', typeOid: 25 },
          { name: 'id', typeOid: 23 },
        ],
      },
    ]);
    expect(copiedColumns([{ relation: vault, columns: ['nope'] }], rows)).toEqual([
      { code: '42703', message: 'column "nope" of relation "vault" does not exist' },
    ]);
  });
});

describe('copyTablesQuery', () => {
  test('names are quoted back as the parser normalised them, in escape-string literals', () => {
    const sql = copyTablesQuery([{ schema: "we'ird\\", name: 'Mixed"Case' }]);
    expect(sql).toContain(`(VALUES (0, E'"we''ird\\\\"."Mixed""Case"'))`);
  });
});

describe('copyFollowsOtherStatements', () => {
  test('only BEGIN and other COPY … TO STDOUT of tables may come before a COPY of a table', () => {
    expect(copyFollowsOtherStatements('COPY t TO STDOUT')).toBe(false);
    expect(copyFollowsOtherStatements('BEGIN; COPY a TO STDOUT; COPY b TO STDOUT')).toBe(false);
    expect(copyFollowsOtherStatements('COPY t TO STDOUT; SET search_path TO s')).toBe(false);
    expect(copyFollowsOtherStatements('SET search_path TO s; COPY t TO STDOUT')).toBe(true);
    expect(
      copyFollowsOtherStatements("COPY (SELECT set_config('search_path', 's', false)) TO STDOUT; COPY t TO STDOUT"),
    ).toBe(true);
  });
});
