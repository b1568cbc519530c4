import { describe, expect, test } from '@jest/globals';
import type { MaskingRuleInput } from '@postern/policy';
import {
  ColumnType,
  columnDefinition,
  decodeBinaryRow,
  decodeTextRow,
  encodeBinaryRow,
  encodeTextRow,
  type ColumnDefinition,
} from '@postern/wire-mysql';
import { RowMasker } from './filter/row-masker.js';
import { compileMysqlMasking, lineageOf, UNKNOWN_LINEAGE, type MysqlSessionMasker } from './masking.js';

const KEY = Buffer.from('spec-masking-key-0123456789abcdef');
const CUSTOMERS = [{ schema: null, name: 'customers' }];

function masker(rules: Partial<MaskingRuleInput['spec']>[]): MysqlSessionMasker {
  const inputs = rules.map((spec, i) => ({
    id: `r${i}`,
    name: `rule ${i}`,
    connectionIds: [],
    exemptGroups: [],
    spec: { style: 'redact' as const, ...spec },
  }));
  return compileMysqlMasking(inputs, { hashKey: KEY }).forSession('c', [])!;
}

const column = (fields: Partial<ColumnDefinition> & { name: string }) =>
  columnDefinition({ schema: 'shop', table: 'c', orgTable: 'customers', orgName: fields.name, ...fields });

describe('result plans', () => {
  const rules = masker([{ columns: ['customers.email'] }]);

  test('a column is recognised by its original table and name, whatever its alias', () => {
    const plan = rules.plan(
      [column({ name: 'contact', orgName: 'email' }), column({ name: 'id' })],
      lineageOf('SELECT email AS contact, id FROM customers c', CUSTOMERS),
    );
    expect(plan?.styles).toEqual(['redact', null]);
  });

  test('a computed column of a statement that names a masked column is masked (no lineage: fail closed)', () => {
    const computed = columnDefinition({ name: 'e' });
    expect(
      rules.plan([computed], lineageOf("SELECT CONCAT(email, '!') AS e FROM customers", CUSTOMERS))?.styles,
    ).toEqual(['redact']);
    expect(rules.plan([computed], lineageOf("SELECT CONCAT(name, '!') AS e FROM customers", CUSTOMERS))).toBeNull();
    expect(rules.plan([computed], UNKNOWN_LINEAGE)?.styles).toEqual(['redact']);
  });

  test('a column of a table the statement does not name (a derived table) goes through the same check', () => {
    const derived = column({ name: 'e', orgTable: 'x', orgName: 'e' });
    expect(
      rules.plan([derived], lineageOf('SELECT e FROM (SELECT email AS e FROM customers) x', CUSTOMERS))?.styles,
    ).toEqual(['redact']);
  });

  test("another table's column of the same name is not masked by a qualified pattern", () => {
    const plan = rules.plan(
      [column({ name: 'email', orgTable: 'staff' })],
      lineageOf('SELECT email FROM staff', [{ schema: null, name: 'staff' }]),
    );
    expect(plan).toBeNull();
  });
});

describe('result plans with policy-mysql lineage', () => {
  const rules = masker([{ columns: ['customers.email'] }]);

  test('the lineage decides computed columns; the metadata still masks named ones', () => {
    const columns = [column({ name: 'email' }), columnDefinition({ name: 'e' }), columnDefinition({ name: 'n' })];
    const plan = rules.plan(columns, UNKNOWN_LINEAGE, ['keep', 'redact', 'keep']);
    expect(plan?.styles).toEqual(['redact', 'redact', null]);
  });
});

describe('RowMasker', () => {
  const rules = masker([{ columns: ['email', 'score'] }, { detectors: ['email'] }]);
  const columns = [
    column({ name: 'email', type: ColumnType.VAR_STRING }),
    column({ name: 'score', type: ColumnType.LONG }),
    column({ name: 'note', type: ColumnType.BLOB }),
  ];
  const plan = rules.plan(columns, lineageOf('SELECT email, score, note FROM customers', CUSTOMERS))!;

  test('text rows: the token in text columns, NULL in numbers, detectors inside other text', () => {
    const payload = encodeTextRow(['ada@example.com', '7', 'write to bob@example.com']);
    const out = new RowMasker(rules, plan, false).mask(payload, 5)!;
    expect(out[3]).toBe(5);
    expect(decodeTextRow(out.subarray(4), 3).map((c) => c?.toString() ?? null)).toEqual([
      '********',
      null,
      'write to ****',
    ]);
  });

  test('binary rows: the same, with the NULL bitmap set', () => {
    const types = columns.map((c) => ({ type: c.type, flags: 0 }));
    const payload = encodeBinaryRow([Buffer.from('ada@example.com'), 7, Buffer.from('nothing here')], types);
    const out = new RowMasker(rules, plan, true).mask(payload, 2)!;
    const values = decodeBinaryRow(out.subarray(4), types);
    expect(values.map((v) => (Buffer.isBuffer(v) ? v.toString() : v))).toEqual(['********', null, 'nothing here']);
  });

  test('a row with nothing to mask is left as it is', () => {
    const quiet = masker([{ columns: ['customers.card'] }]);
    const quietPlan = quiet.plan(
      [column({ name: 'card' }), column({ name: 'id' })],
      lineageOf('SELECT card, id FROM customers', CUSTOMERS),
    )!;
    expect(new RowMasker(quiet, quietPlan, false).mask(encodeTextRow([null, '1']), 1)).toBeNull();
  });
});
