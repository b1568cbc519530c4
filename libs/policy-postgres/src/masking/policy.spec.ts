import { describe, expect, test } from '@jest/globals';
import { PolicySpecError } from '@postern/policy';
import { column, dataRow, HASH_KEY, rowText, rule } from '../../test/masking/support/frames.js';
import { compileMaskingPolicy } from './policy.js';
import { MATCH_REDACTION as M, WHOLE_REDACTION as W } from '@postern/policy';

const TEXT = 25;

describe('which rules apply to a session', () => {
  const policy = compileMaskingPolicy(
    [
      rule({ columns: ['email'], style: 'redact' }, { id: 'everywhere', exemptGroups: ['dpo', 'support-leads'] }),
      rule({ detectors: ['payment_card'], style: 'partial' }, { id: 'billing-only', connectionIds: ['billing'] }),
    ],
    { hashKey: HASH_KEY },
  );

  test('a rule without connections applies on every connection; one with connections only there', () => {
    const masker = (connection: string) =>
      policy.forSession(connection, ['analysts'])!.planRows([column('email', TEXT), column('note', TEXT)])!;
    const frame = dataRow(['ann@example.com', 'card 4111111111111111']);
    expect(rowText(masker('crm').maskDataRow(frame))).toEqual([W, 'card 4111111111111111']);
    expect(rowText(masker('billing').maskDataRow(frame))).toEqual([W, 'card ************1111']);
  });

  test('a member of any exempt group is exempt from that rule only', () => {
    expect(policy.forSession('crm', ['analysts', 'dpo'])).toBeNull();
    const billing = policy.forSession('billing', ['support-leads'])!;
    expect(billing.needsTables).toBe(false);
    expect(billing.planRows([column('email', TEXT)])).not.toBeNull(); // the card detector still reads it
  });

  test('no rules at all: no session masker', () => {
    expect(compileMaskingPolicy([], { hashKey: HASH_KEY }).forSession('crm', [])).toBeNull();
  });
});

describe('planning', () => {
  test('needsTables is true when a column rule exists', () => {
    const policy = compileMaskingPolicy([rule({ columns: ['customers.email'], style: 'redact' })], {
      hashKey: HASH_KEY,
    });
    expect(policy.forSession('c', [])!.needsTables).toBe(true);
  });

  test('two column rules on one column: the strongest style wins (redact > hash > partial)', () => {
    const policy = compileMaskingPolicy(
      [
        rule({ columns: ['email'], style: 'partial' }, { id: 'a' }),
        rule({ columns: ['*mail'], style: 'hash' }, { id: 'b' }),
      ],
      { hashKey: HASH_KEY },
    );
    const session = policy.forSession('c', [])!;
    const out = rowText(session.planRows([column('email', TEXT)])!.maskDataRow(dataRow(['ann@example.com'])));
    expect(out[0]).toMatch(/^h:/);
    expect(session.counts).toEqual(new Map([['b', 1]]));
  });

  test('column patterns ignore case and match schema, table and column with wildcards', () => {
    const policy = compileMaskingPolicy([rule({ columns: ['public.Cust*.CARD_*'], style: 'redact' })], {
      hashKey: HASH_KEY,
    });
    const session = policy.forSession('c', [])!;
    const at = (schema: string, table: string, name: string) => ({
      name,
      typeOid: TEXT,
      format: 0 as const,
      table: { schema, name: table },
    });
    expect(session.planRows([at('public', 'customers', 'card_number')])).not.toBeNull();
    expect(session.planRows([at('archive', 'customers', 'card_number')])).toBeNull();
    expect(session.planRows([at('public', 'orders', 'card_number')])).toBeNull();
  });
});

describe('counts', () => {
  test('count each masked value per rule, across results of the session', () => {
    const policy = compileMaskingPolicy(
      [
        rule({ columns: ['email'], style: 'redact' }, { id: 'columns' }),
        rule({ detectors: ['email', 'phone'], style: 'redact' }, { id: 'detectors' }),
      ],
      { hashKey: HASH_KEY },
    );
    const session = policy.forSession('c', [])!;
    const masker = session.planRows([column('email', TEXT), column('note', TEXT)])!;
    masker.maskDataRow(dataRow(['a@example.com', 'x@example.com and y@example.com']));
    masker.maskDataRow(dataRow([null, 'call +44 20 7946 0958']));
    const again = session.planRows([column('note', TEXT)])!;
    expect(rowText(again.maskDataRow(dataRow(['z@example.com'])))).toEqual([M]);
    expect(session.counts).toEqual(
      new Map([
        ['columns', 1],
        ['detectors', 4],
      ]),
    );
  });
});

describe('compileMaskingPolicy', () => {
  test('refuses a hash key too short to keep hashes unguessable', () => {
    expect(() => compileMaskingPolicy([], { hashKey: Buffer.alloc(8) })).toThrow(PolicySpecError);
  });

  test('re-checks custom regexes, so an unsafe one never reaches the hot path', () => {
    const unsafe = {
      id: 'r',
      name: 'unsafe',
      connectionIds: [],
      exemptGroups: [],
      spec: { customPatterns: [{ name: 'x', regex: '(a+)+$' }], style: 'redact' as const },
    };
    expect(() => compileMaskingPolicy([unsafe], { hashKey: HASH_KEY })).toThrow(/nested quantifiers/);
  });

  test('custom patterns mask their matches in the rule style', () => {
    const policy = compileMaskingPolicy(
      [rule({ customPatterns: [{ name: 'employee', regex: 'EMP-\\d{6}|\\b9\\d{5}\\b' }], style: 'partial' })],
      { hashKey: HASH_KEY },
    );
    const masker = policy.forSession('c', [])!.planRows([column('note', TEXT), column('id', 23)])!;
    expect(rowText(masker.maskDataRow(dataRow(['by EMP-123456 today', '123456'])))).toEqual([
      'by ******3456 today',
      '123456',
    ]);
    // Custom patterns also read numbers as text; an int4 has no masked form, so a hit is NULL.
    expect(rowText(masker.maskDataRow(dataRow(['-', '912345'])))).toEqual(['-', null]);
  });
});

describe('free text (statement text and parameters in recordings)', () => {
  test('maskText applies the detectors, leaves the rest, and does not count', () => {
    const policy = compileMaskingPolicy(
      [
        rule({ columns: ['email'], style: 'redact' }, { id: 'columns' }),
        rule({ detectors: ['email'], style: 'redact' }, { id: 'detectors' }),
      ],
      { hashKey: HASH_KEY },
    );
    const session = policy.forSession('c', [])!;
    expect(session.maskText("SELECT * FROM t WHERE email = 'ada@example.com'")).toBe(
      `SELECT * FROM t WHERE email = '${M}'`,
    );
    expect(session.maskText('SELECT 1')).toBe('SELECT 1');
    expect(session.counts).toEqual(new Map());
  });

  test('with column rules only, text passes unchanged', () => {
    const session = compileMaskingPolicy([rule({ columns: ['email'], style: 'redact' })], {
      hashKey: HASH_KEY,
    }).forSession('c', [])!;
    expect(session.maskText("WHERE email = 'ada@example.com'")).toBe("WHERE email = 'ada@example.com'");
  });
});
