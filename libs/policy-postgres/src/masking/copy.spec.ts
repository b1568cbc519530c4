import { describe, expect, test } from '@jest/globals';
import type { CopyMasker } from './contract.js';
import { column, copyData, readCopyData, sessionFor } from '../../test/masking/support/frames.js';
import { MaskingError } from '@postern/policy';
import { MATCH_REDACTION as M, WHOLE_REDACTION as W } from '@postern/policy';

const TEXT = 25;
const INT8 = 20;
const INT4 = 23;
const columns = [
  column('id', INT4, 0, 'customers'),
  column('email', TEXT, 0, 'customers'),
  column('note', TEXT, 0, 'customers'),
];
const session = () =>
  sessionFor(
    { columns: ['customers.email'], style: 'redact' },
    { detectors: ['email', 'payment_card'], style: 'redact' },
  );

/** Runs `payload` through the masker as CopyData messages cut at `cuts`; returns the bytes out. */
function run(masker: CopyMasker, payload: Buffer, cuts: number[] = []): string {
  const bounds = [0, ...cuts, payload.length];
  const out: Buffer[] = [];
  for (let k = 0; k + 1 < bounds.length; k++)
    out.push(readCopyData(masker.maskCopyData(copyData(payload.subarray(bounds[k], bounds[k + 1])))));
  const tail = masker.finish();
  if (tail !== null) out.push(readCopyData(tail));
  return Buffer.concat(out).toString('latin1');
}

function plan(
  cols: Parameters<ReturnType<typeof session>['planCopy']>[0],
  format: 'text' | 'csv' | 'binary',
  options = {},
  s = session(),
) {
  const { masker, refuse } = s.planCopy(cols, format, options);
  expect(refuse).toBeNull();
  return masker!;
}

describe('text format', () => {
  const input = Buffer.from(
    '1\tann@example.com\tcall me\n' +
      '2\t\\N\tcard 4111 1111 1111 1111\\tpaid\n' +
      '3\tbob@example.org\tback\\\\slash bob@example.org\n',
  );
  const expected = `1\t${W}\tcall me\n` + `2\t\\N\tcard ${M}\\tpaid\n` + `3\t${W}\tback\\\\slash ${M}\n`;

  test('masks columns and matches, keeps NULL markers and escapes', () => {
    expect(run(plan(columns, 'text'), input)).toBe(expected);
  });

  test('a row split across messages at any offset gives the same output', () => {
    for (let cut = 1; cut < input.length; cut++) expect(run(plan(columns, 'text'), input, [cut])).toBe(expected);
  });

  test('one message per byte still works', () => {
    const cuts = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
    expect(run(plan(columns, 'text'), input, cuts)).toBe(expected);
  });

  test('a clean message is returned as the same Buffer', () => {
    const masker = plan(columns, 'text');
    const frame = copyData('4\t\\N\tnothing here\n');
    expect(masker.maskCopyData(frame)).toBe(frame);
  });

  test('a masked value with control characters or the delimiter is escaped again', () => {
    const s = sessionFor({ columns: ['customers.note'], style: 'partial' });
    // Decoded: "note ok", a tab, a backslash, "x": ten characters, the last four kept.
    const out = run(plan(columns, 'text', {}, s), Buffer.from('1\tx\tnote ok\\t\\\\x\n'));
    expect(out).toBe(`1\tx\t******k\\t\\\\x\n`);
    const piped = run(plan(columns, 'text', { delimiter: '|' }, s), Buffer.from('1|x|some note a\\|b\n'));
    expect(piped).toBe(`1|x|********* a\\|b\n`);
  });

  test('octal and hex escapes are decoded before detection', () => {
    const out = run(plan(columns, 'text'), Buffer.from('1\t\\N\tann\\100example.com and bob\\x40example.org\n'));
    expect(out).toBe(`1\t\\N\t${M} and ${M}\n`);
  });

  test('the header line passes, a custom NULL marker is honoured', () => {
    const out = run(
      plan(columns, 'text', { header: true, null: 'NIL' }),
      Buffer.from('id\temail\tnote\n1\tNIL\tann@example.com\n'),
    );
    expect(out).toBe(`id\temail\tnote\n1\tNIL\t${M}\n`);
  });

  test('a row with another field count is a MaskingError', () => {
    expect(() => plan(columns, 'text').maskCopyData(copyData('1\tonly two\n'))).toThrow(MaskingError);
  });
});

describe('CSV', () => {
  const input = Buffer.from(
    'id,email,note\n' +
      '1,ann@example.com,"hello, ""friend"""\n' +
      '2,,"multi\nline ann@example.com"\n' +
      '3,"",plain\n',
  );
  const expected = 'id,email,note\n' + `1,"${W}","hello, ""friend"""\n` + `2,,"multi\nline ${M}"\n` + `3,"",plain\n`;

  test('masks quoted and unquoted fields, keeps NULL (empty unquoted) and the header', () => {
    expect(run(plan(columns, 'csv', { header: true }), input)).toBe(expected);
  });

  test('split at any offset, including inside quotes and doubled quotes', () => {
    for (let cut = 1; cut < input.length; cut++) {
      expect(run(plan(columns, 'csv', { header: true }), input, [cut])).toBe(expected);
    }
  });

  test('a distinct escape character and a custom delimiter', () => {
    const s = sessionFor({ columns: ['customers.note'], style: 'partial' });
    const masker = plan(columns, 'csv', { delimiter: ';', quote: "'", escape: '\\' }, s);
    expect(run(masker, Buffer.from("1;x;'note; it\\'s'\n"))).toBe(`1;x;'******it\\'s'\n`);
  });
});

describe('binary format', () => {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  const field = (v: Buffer | string | null) => {
    if (v === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const b = typeof v === 'string' ? Buffer.from(v) : v;
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const tuple = (...values: (Buffer | string | null)[]) => {
    const count = Buffer.alloc(2);
    count.writeInt16BE(values.length);
    return Buffer.concat([count, ...values.map(field)]);
  };
  const int8 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  const trailer = Buffer.from([0xff, 0xff]);
  const binaryColumns = [
    column('id', INT8, 1, 'customers'),
    column('email', TEXT, 1, 'customers'),
    column('note', TEXT, 1, 'customers'),
  ];
  const s = () =>
    sessionFor(
      { columns: ['customers.id', 'customers.email'], style: 'redact' },
      { detectors: ['email'], style: 'redact' },
    );
  const input = Buffer.concat([
    header,
    tuple(int8(1n), 'ann@example.com', 'mail bob@example.org'),
    tuple(int8(2n), null, 'clean'),
    trailer,
  ]);
  const expected = Buffer.concat([header, tuple(null, W, `mail ${M}`), tuple(null, null, 'clean'), trailer]).toString(
    'latin1',
  );

  test('masks text in place and replaces non-text values under a column rule by NULL', () => {
    expect(run(plan(binaryColumns, 'binary', {}, s()), input)).toBe(expected);
  });

  test('split at any offset, header and trailer included', () => {
    for (let cut = 1; cut < input.length; cut++)
      expect(run(plan(binaryColumns, 'binary', {}, s()), input, [cut])).toBe(expected);
  });

  test('a bad signature, a wrong field count, data after the trailer, a cut tuple: MaskingError', () => {
    const bad = Buffer.from(input);
    bad[0] = 0x51;
    expect(() => plan(binaryColumns, 'binary', {}, s()).maskCopyData(copyData(bad))).toThrow(MaskingError);
    const wrongCount = Buffer.concat([header, tuple('a', 'b')]);
    expect(() => plan(binaryColumns, 'binary', {}, s()).maskCopyData(copyData(wrongCount))).toThrow(MaskingError);
    const after = Buffer.concat([input, tuple(int8(1n), 'a', 'b')]);
    expect(() => plan(binaryColumns, 'binary', {}, s()).maskCopyData(copyData(after))).toThrow(MaskingError);
    const cut = plan(binaryColumns, 'binary', {}, s());
    cut.maskCopyData(copyData(input.subarray(0, header.length + 5)));
    expect(() => cut.finish()).toThrow(MaskingError);
  });

  test('columns unknown: each field is read as text, and a hit becomes NULL', () => {
    const detectOnly = sessionFor({ detectors: ['email'], style: 'redact' });
    const masker = plan(null, 'binary', {}, detectOnly);
    const out = run(masker, Buffer.concat([header, tuple(int8(7n), 'ann@example.com'), trailer]));
    expect(out).toBe(Buffer.concat([header, tuple(int8(7n), null), trailer]).toString('latin1'));
  });
});

describe('planning', () => {
  test('COPY of a query whose lineage reaches no masked column: no refusal, only detectors could apply', () => {
    // Whether a column rule reaches a COPY (query) is decided by its lineage before it runs
    // (lineage-plan.spec.ts); here no column reaches one: the session's detectors still read it.
    const { masker, refuse } = session().planCopy(null, 'text', {});
    expect(refuse).toBeNull();
    expect(run(masker!, Buffer.from('1\tann@example.com\n'))).not.toContain('ann@example.com');
  });

  test('COPY of a query with detectors only is masked as text', () => {
    const masker = plan(null, 'csv', {}, sessionFor({ detectors: ['email'], style: 'redact' }));
    expect(run(masker, Buffer.from('1,ann@example.com,x\n2,y\n'))).toBe(`1,"${M}",x\n2,y\n`);
  });

  test('nothing to mask: no masker and no refusal', () => {
    expect(sessionFor({ columns: ['ssn'], style: 'redact' }).planCopy(columns, 'text', {})).toEqual({
      masker: null,
      refuse: null,
    });
  });

  test('unusual options that cannot be masked safely are refused', () => {
    const { refuse } = session().planCopy(columns, 'csv', { delimiter: '||' });
    expect(refuse).toMatch(/not one ASCII character/);
  });

  test('finish returns a final unterminated text row, masked', () => {
    const masker = plan(columns, 'text');
    expect(readCopyData(masker.maskCopyData(copyData('1\tann@example.com\tx'))).length).toBe(0);
    expect(readCopyData(masker.finish()!).toString()).toBe(`1\t${W}\tx`);
    expect(masker.finish()).toBeNull();
  });
});
