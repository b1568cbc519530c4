import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  binaryArray,
  column,
  dataRow,
  jsonbBinary,
  readBinaryArray,
  readDataRow,
  rowText,
  sessionFor,
} from '../../test/masking/support/frames.js';
import { MaskingError } from '@postern/policy';
import { MATCH_REDACTION as M, WHOLE_REDACTION as W } from '@postern/policy';

const ALL_DETECTORS = ['email', 'payment_card', 'iban', 'phone', 'national_id', 'secret'];
const detectors = (style = 'redact') => sessionFor({ detectors: ALL_DETECTORS, style });

// Type OIDs used below.
const INT4 = 23;
const INT8 = 20;
const NUMERIC = 1700;
const TEXT = 25;
const VARCHAR = 1043;
const JSON_OID = 114;
const JSONB = 3802;
const TEXT_ARRAY = 1009;
const INT8_ARRAY = 1016;
const JSONB_ARRAY = 3807;
const CITEXT = 16500; // extension types have OIDs past 16384

describe('column rules', () => {
  const session = sessionFor({ columns: ['customers.email', 'card_*'], style: 'redact' });
  const columns = [
    column('id', INT4, 0, 'customers'),
    column('email', TEXT, 0, 'customers'),
    column('card_number', VARCHAR, 0, 'orders'),
  ];

  test('replace the whole value of matching columns and leave the others byte for byte', () => {
    const masker = session.planRows(columns)!;
    const out = masker.maskDataRow(dataRow(['7', 'ann@example.com', '4111 1111 1111 1111']));
    expect(rowText(out)).toEqual(['7', W, W]);
  });

  test('a table-qualified pattern needs the table', () => {
    const masker = session.planRows([column('email', TEXT, 0, 'staff'), column('email', TEXT, 0, null)]);
    expect(masker).toBeNull();
  });

  test('NULLs stay NULL, empty strings stay empty, and an unchanged row is the same Buffer', () => {
    const masker = session.planRows(columns)!;
    const frame = dataRow(['1', null, '']);
    expect(masker.maskDataRow(frame)).toBe(frame);
  });

  test('non-text types have no masked form: the value becomes NULL, in either format', () => {
    const numeric = sessionFor({ columns: ['balance', 'limit_cents'], style: 'redact' });
    const masker = numeric.planRows([column('balance', NUMERIC, 0), column('limit_cents', INT8, 1)])!;
    const binaryInt8 = Buffer.alloc(8);
    binaryInt8.writeBigInt64BE(123456n);
    expect(readDataRow(masker.maskDataRow(dataRow(['12.50', binaryInt8])))).toEqual([null, null]);
  });

  test('json keeps being JSON: the document becomes a JSON string', () => {
    const session = sessionFor({ columns: ['profile'], style: 'partial' });
    const text = session.planRows([column('profile', JSON_OID, 0)])!;
    const out = rowText(text.maskDataRow(dataRow(['{"email":"ann@example.com"}'])))[0]!;
    expect(JSON.parse(out)).toBe(`${'*'.repeat(23)}om"}`); // 27 characters, the last 4 kept
    const binary = session.planRows([column('profile', JSONB, 1)])!;
    const value = readDataRow(binary.maskDataRow(dataRow([jsonbBinary('{"a": 1}')])))[0]!;
    expect(value[0]).toBe(1);
    expect(JSON.parse(value.subarray(1).toString())).toBe('****: 1}');
  });

  test('arrays keep their shape: every element is masked', () => {
    const session = sessionFor({ columns: ['tags', 'ids'], style: 'redact' });
    const masker = session.planRows([column('tags', TEXT_ARRAY, 0), column('ids', INT8_ARRAY, 1)])!;
    const int8 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(n);
      return b;
    };
    const out = readDataRow(
      masker.maskDataRow(dataRow(['{alpha,"b c",NULL,""}', binaryArray(INT8, [int8(1n), int8(2n)])])),
    );
    expect(out[0]!.toString()).toBe(`{"${W}","${W}",NULL,""}`);
    const ids = readBinaryArray(out[1]!);
    expect(ids).toEqual({ hasNull: true, elementOid: INT8, elements: [null, null] });
  });

  test('hash is deterministic across rows and sessions, so joins and GROUP BY still work', () => {
    const spec = { columns: ['email'], style: 'hash' };
    const a = sessionFor(spec).planRows([column('email', TEXT)])!;
    const b = sessionFor(spec).planRows([column('email', TEXT)])!;
    const first = rowText(a.maskDataRow(dataRow(['ann@example.com'])))[0];
    expect(first).toMatch(/^h:[0-9a-f]{16}$/);
    expect(rowText(b.maskDataRow(dataRow(['ann@example.com'])))[0]).toBe(first);
    expect(rowText(a.maskDataRow(dataRow(['bob@example.com'])))[0]).not.toBe(first);
  });
});

describe('detectors in text-format rows', () => {
  test('mask each match in place and keep the rest of the value', () => {
    const masker = detectors().planRows([column('note', TEXT)])!;
    const out = masker.maskDataRow(
      dataRow(['write to ann@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111']),
    );
    expect(rowText(out)).toEqual([`write to ${M} or call ${M}, card ${M}`]);
  });

  test('multibyte text around a match survives intact', () => {
    const masker = detectors('partial').planRows([column('note', TEXT)])!;
    const out = masker.maskDataRow(dataRow(['Zürich → jürgen.müller@beispiel.de ✓ 日本']));
    expect(rowText(out)).toEqual([`Zürich → ${'*'.repeat(21)}l.de ✓ 日本`]);
  });

  test('a bigint card number in text format is caught, and becomes NULL (no masked int8 exists)', () => {
    const masker = detectors().planRows([column('pan', INT8), column('amount', NUMERIC)])!;
    expect(rowText(masker.maskDataRow(dataRow(['4111111111111111', '12.50'])))).toEqual([null, '12.50']);
  });

  test('numeric-only results, and binary non-text columns, pay nothing', () => {
    const session = detectors();
    expect(session.planRows([column('id', INT4), column('at', 1184), column('id', 2950)])).toBeNull();
    expect(session.planRows([column('pan', INT8, 1), column('amount', NUMERIC, 1)])).toBeNull();
  });

  test('clean rows come back as the same Buffer', () => {
    const masker = detectors().planRows([column('a', TEXT), column('b', TEXT)])!;
    const frame = dataRow(['Customer 42', 'order 12345 shipped 2024-01-15']);
    expect(masker.maskDataRow(frame)).toBe(frame);
  });

  test('json: escapes are decoded before detection, numbers too, and the result still parses', () => {
    const masker = detectors().planRows([column('doc', JSON_OID)])!;
    const doc = '{"to": "ann\\u0040example.com", "pan": 4111111111111111, "n": 3, "note": "a \\"quoted\\" word"}';
    const out = rowText(masker.maskDataRow(dataRow([doc])))[0]!;
    expect(JSON.parse(out)).toEqual({ to: M, pan: M, n: 3, note: 'a "quoted" word' });
  });

  test('text-format arrays: elements are decoded, masked and quoted again', () => {
    const masker = detectors().planRows([column('emails', TEXT_ARRAY), column('pans', INT8_ARRAY)])!;
    const out = rowText(
      masker.maskDataRow(dataRow(['{ann@example.com,"x \\"y\\" bob@example.org",NULL}', '{4111111111111111,42}'])),
    );
    expect(out).toEqual([`{"${M}","x \\"y\\" ${M}",NULL}`, '{NULL,42}']);
  });
});

describe('detectors in binary rows', () => {
  test('varchar and text are masked in place', () => {
    const masker = detectors().planRows([column('a', VARCHAR, 1), column('b', TEXT, 1)])!;
    expect(rowText(masker.maskDataRow(dataRow(['mail ann@example.com', 'nothing'])))).toEqual([`mail ${M}`, 'nothing']);
  });

  test('jsonb keeps its version byte and stays valid JSON', () => {
    const masker = detectors().planRows([column('doc', JSONB, 1)])!;
    const value = readDataRow(masker.maskDataRow(dataRow([jsonbBinary('{"a": "ann@example.com", "b": [1, 2]}')])))[0]!;
    expect(value[0]).toBe(1);
    expect(JSON.parse(value.subarray(1).toString())).toEqual({ a: M, b: [1, 2] });
  });

  test('text[] elements are masked and their lengths rewritten; NULL elements stay', () => {
    const masker = detectors().planRows([column('emails', TEXT_ARRAY, 1)])!;
    const array = binaryArray(TEXT, ['ann@example.com', null, 'plain', '']);
    const out = readBinaryArray(readDataRow(masker.maskDataRow(dataRow([array])))[0]!);
    expect(out.elements.map((e) => e?.toString() ?? null)).toEqual([M, null, 'plain', '']);
    expect(out.hasNull).toBe(true);
  });

  test('jsonb[] elements are masked as jsonb', () => {
    const masker = detectors().planRows([column('docs', JSONB_ARRAY, 1)])!;
    const array = binaryArray(JSONB, [jsonbBinary('"ann@example.com"'), jsonbBinary('{"k": 1}')]);
    const out = readBinaryArray(readDataRow(masker.maskDataRow(dataRow([array])))[0]!);
    expect(out.elements.map((e) => [e![0], JSON.parse(e!.subarray(1).toString())])).toEqual([
      [1, M],
      [1, { k: 1 }],
    ]);
  });

  test('a user-defined type in binary (citext) cannot be edited in place: a hit makes it NULL', () => {
    const masker = detectors().planRows([column('email', CITEXT, 1)])!;
    expect(readDataRow(masker.maskDataRow(dataRow(['ann@example.com'])))).toEqual([null]);
    const clean = dataRow(['not an address']);
    expect(masker.maskDataRow(clean)).toBe(clean);
  });
});

describe('malformed frames', () => {
  const masker = detectors().planRows([column('a', TEXT), column('b', JSONB, 1), column('c', TEXT_ARRAY, 1)])!;
  const good = dataRow(['ann@example.com', jsonbBinary('{}'), binaryArray(TEXT, ['x'])]);

  test.each([
    ['another message type', Buffer.concat([Buffer.from('T'), good.subarray(1)])],
    ['a length that does not match', Buffer.concat([good, Buffer.from([0])])],
    ['a truncated frame', good.subarray(0, good.length - 3)],
    ['a different column count', dataRow(['a', jsonbBinary('{}')])],
    [
      'a column length past the end',
      (() => {
        const f = Buffer.from(good);
        f.writeInt32BE(10_000, 7);
        return f;
      })(),
    ],
    [
      'a negative column length',
      (() => {
        const f = Buffer.from(good);
        f.writeInt32BE(-2, 7);
        return f;
      })(),
    ],
    ['an unknown jsonb version', dataRow(['a', Buffer.from([2, 0x7b, 0x7d]), binaryArray(TEXT, ['x'])])],
    ['a binary array of another element type', dataRow(['a', jsonbBinary('{}'), binaryArray(INT4, [Buffer.alloc(4)])])],
    ['a binary array cut short', dataRow(['a', jsonbBinary('{}'), binaryArray(TEXT, ['x']).subarray(0, 18)])],
    ['a header only', Buffer.from([0x44, 0, 0, 0, 4])],
  ])('%s is a MaskingError', (_, frame) => {
    expect(() => masker.maskDataRow(frame)).toThrow(MaskingError);
  });
});

describe('properties', () => {
  const SECRETS = [
    'ann@example.com',
    '4111 1111 1111 1111',
    'DE89 3704 0044 0532 0130 00',
    '+44 20 7946 0958',
    'AKIAIOSFODNN7EXAMPLE',
  ];
  const noise = fc.string({ unit: 'grapheme', maxLength: 20 });
  const value = fc.oneof(
    fc.constant(null),
    noise,
    fc.tuple(noise, fc.constantFrom(...SECRETS), noise).map(([a, s, b]) => `${a} ${s} ${b}`),
  );

  test('any row with any values: a well-formed DataRow, same column count, no detected value left', () => {
    const session = detectors();
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (values) => {
        const masker = session.planRows(values.map((_, i) => column(`c${i}`, TEXT)))!;
        const out = readDataRow(masker.maskDataRow(dataRow(values)));
        expect(out).toHaveLength(values.length);
        for (const [i, v] of out.entries()) {
          expect(v === null).toBe(values[i] === null);
          for (const secret of SECRETS) expect(v?.toString() ?? '').not.toContain(secret);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('any bytes: either a DataRow or a MaskingError, never another exception', () => {
    const masker = detectors().planRows([column('a', TEXT), column('b', JSONB, 1), column('c', TEXT_ARRAY, 1)])!;
    const good = dataRow(['ann@example.com', jsonbBinary('{"a":"b@c.de"}'), binaryArray(TEXT, ['x@y.org', null])]);
    const mutated = fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
      const f = Buffer.from(good);
      f[at] = byte;
      return f;
    });
    fc.assert(
      fc.property(
        fc.oneof(
          mutated,
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        ),
        (frame) => {
          try {
            readDataRow(masker.maskDataRow(frame));
          } catch (error) {
            expect(error).toBeInstanceOf(MaskingError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
