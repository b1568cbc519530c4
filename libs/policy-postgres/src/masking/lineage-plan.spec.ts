import { beforeAll, describe, expect, test } from '@jest/globals';
import { column, dataRow, HASH_KEY, rowText, rule } from '../../test/masking/support/frames.js';
import { initSqlParser } from '../sql/parser.js';
import type { ResultColumn, SessionMasker } from './contract.js';
import { compileMaskingPolicy } from './policy.js';
import { WHOLE_REDACTION as W } from '@postern/policy';

const TEXT = 25;
const INT8 = 20;
const CARD = '4539578763621486';

beforeAll(() => initSqlParser());

function session(): SessionMasker {
  return compileMaskingPolicy(
    [
      rule({ columns: ['customers.card_number'], style: 'partial' }, { id: 'cards', name: 'card numbers' }),
      rule({ detectors: ['email'], style: 'redact' }, { id: 'contacts', name: 'contact details' }),
    ],
    { hashKey: HASH_KEY },
  ).forSession('shop', [])!;
}

/** A computed column (table OID 0), as RowDescription describes `expr AS name`. */
function computed(name: string, typeOid = TEXT): ResultColumn {
  return { name, table: null, typeOid, format: 0 };
}

function masked(sql: string, columns: ResultColumn[], values: (string | null)[]): (string | null)[] {
  const masker = session();
  const plan = masker.planStatement(sql);
  expect(plan.refuse).toBeNull();
  const rows = masker.planRows(plan.results[0]!.annotate(columns));
  const frame = dataRow(values);
  return rowText(rows === null ? frame : rows.maskDataRow(frame));
}

describe('computed columns are masked by where their value comes from', () => {
  test('an expression over a masked column is redacted whole; other columns stay as they are', () => {
    expect(
      masked(
        "SELECT name, card_number || '' FROM customers",
        [column('name', TEXT), computed('?column?')],
        ['Ada', CARD],
      ),
    ).toEqual(['Ada', W]);
  });

  test('a value with no masked form (a number) becomes NULL', () => {
    expect(
      masked('SELECT length(card_number)::int8 * 0 + 1 FROM customers', [computed('?column?', INT8)], ['1']),
    ).toEqual([null]);
  });

  test('after `*` over a table, computed columns are aligned from the end', () => {
    const columns = [
      { ...column('id', INT8), table: { schema: 'public', name: 'customers' } },
      { ...column('name', TEXT), table: { schema: 'public', name: 'customers' } },
      computed('lower'),
    ];
    expect(masked('SELECT *, lower(card_number) FROM customers', columns, ['1', 'Ada', CARD])).toEqual(['1', 'Ada', W]);
  });

  test('a text value reshaped from a table column is redacted when detectors apply; a plain one is scanned', () => {
    expect(masked('SELECT reverse(name) FROM customers', [computed('reverse')], ['adA'])).toEqual([W]);
    expect(masked('SELECT upper(name) FROM customers', [computed('upper')], ['ADA'])).toEqual(['ADA']);
    expect(masked("SELECT to_char(placed_at, 'YYYY') FROM orders", [computed('to_char')], ['2024'])).toEqual(['2024']);
  });

  test('catalog queries are left alone', () => {
    expect(
      masked('SELECT format_type(atttypid, atttypmod) FROM pg_attribute', [computed('format_type')], ['text']),
    ).toEqual(['text']);
  });
});

describe('refusals name the rule and where the values would go', () => {
  test.each([
    [
      'INSERT INTO archive SELECT card_number FROM customers',
      /"card numbers" masks customers.card_number.*INSERT INTO archive/,
    ],
    ['CREATE VIEW v AS SELECT * FROM customers', /"card numbers" masks columns of customers.*CREATE VIEW/],
    ["SELECT set_config('k', card_number, false) FROM customers", /set_config\(\)/],
    ['SELECT schema_to_xml($$public$$, true, true, $$$$)', /cannot be followed \(schema_to_xml\(\)/],
    [
      'DECLARE c CURSOR FOR SELECT split_part(name, $$@$$, 1) FROM customers',
      /"contact details" detects values.*DECLARE CURSOR/,
    ],
  ])('%s', (sql, message) => {
    expect(session().planStatement(sql).refuse).toMatch(message);
  });

  test('filters, counts and unmasked tables are not refused', () => {
    for (const sql of [
      "SELECT id FROM customers WHERE card_number LIKE '4539%'",
      'SELECT count(card_number) FROM customers',
      'INSERT INTO archive SELECT id, name FROM customers',
      'SELECT * FROM customers',
    ]) {
      expect(session().planStatement(sql).refuse).toBeNull();
    }
  });

  test('errors of a statement reading a masked column in an expression are scrubbed', () => {
    expect(session().planStatement('SELECT card_number::int FROM customers').results[0]!.scrubMessages).toBe(true);
    expect(session().planStatement('SELECT card_number FROM customers WHERE id = 1').results[0]!.scrubMessages).toBe(
      false,
    );
  });
});
