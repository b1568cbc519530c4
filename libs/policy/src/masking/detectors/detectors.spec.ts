import { describe, expect, test } from '@jest/globals';
import type { DetectorName } from '../contract.js';
import { Candidate, candidatesInString, DETECTORS } from './index.js';

/** The substrings a detector reports in `text`. */
function found(name: DetectorName, text: string): string[] {
  const out: string[] = [];
  DETECTORS[name].scan(text, (start, end) => out.push(text.slice(start, end)));
  return out;
}

/** Every positive must also pass the prefilter: the prefilter may never hide a match. */
function expectDetected(name: DetectorName, text: string, match: string): void {
  expect(found(name, text)).toEqual([match]);
  expect(candidatesInString(text) & DETECTORS[name].candidate).not.toBe(0);
}

describe('email', () => {
  test.each([
    ['john.doe@example.com', 'john.doe@example.com'],
    ['mail JOHN.DOE+billing@Mail.Example.CO.UK today', 'JOHN.DOE+billing@Mail.Example.CO.UK'],
    ['{"to":"a_b-c%d@sub.domain.io"}', 'a_b-c%d@sub.domain.io'],
    ['<józef.kowalski@poczta.pl>', 'józef.kowalski@poczta.pl'],
    ['end of sentence: x@y.org.', 'x@y.org'],
  ])('finds it in %s', (text, match) => expectDetected('email', text, match));

  test.each([['user@localhost'], ['@handle'], ['a@b'], ['price 3 @ 4.00'], ['john@example.c0m'], ['no at sign here']])(
    'ignores %s',
    (text) => expect(found('email', text)).toEqual([]),
  );
});

describe('payment_card', () => {
  test.each([
    ['4111111111111111', '4111111111111111'],
    ['card: 4111 1111 1111 1111, exp 12/29', '4111 1111 1111 1111'],
    ['5500-0000-0000-0004', '5500-0000-0000-0004'],
    ['amex 3782 822463 10005', '3782 822463 10005'],
    ['order 12 4111 1111 1111 1111', '4111 1111 1111 1111'],
    ['{"pan":"6011000990139424"}', '6011000990139424'],
  ])('finds it in %s', (text, match) => expectDetected('payment_card', text, match));

  test.each([
    ['4111111111111112'], // Luhn fails
    ['4111 1111 1111 1112'],
    ['1234567890123452'], // Luhn-valid, but no card network starts with 1
    ['41111111111111110000'], // 20 digits: an identifier
    ['411111111111'], // 12 digits
    ['2024-01-15 10:30:00.123456'],
  ])('ignores %s', (text) => expect(found('payment_card', text)).toEqual([]));
});

describe('iban', () => {
  test.each([
    ['DE89370400440532013000', 'DE89370400440532013000'],
    ['IBAN: DE89 3704 0044 0532 0130 00 thanks', 'DE89 3704 0044 0532 0130 00'],
    ['gb82 west 1234 5698 7654 32', 'gb82 west 1234 5698 7654 32'],
    ['FR1420041010050500013M02606', 'FR1420041010050500013M02606'],
    ['NO9386011117947 end', 'NO9386011117947'],
  ])('finds it in %s', (text, match) => expectDetected('iban', text, match));

  test.each([
    ['DE89370400440532013001'], // check digits fail
    ['DE8937040044053201300'], // one character short for Germany
    ['XX89370400440532013000'], // no such country
    ['ABCDE89370400440532013000'], // inside a word
    ['SKU AB12 CD34'],
  ])('ignores %s', (text) => expect(found('iban', text)).toEqual([]));
});

describe('phone', () => {
  test.each([
    ['+14155552671', '+14155552671'],
    ['call +44 20 7946 0958 now', '+44 20 7946 0958'],
    ['(555) 123-4567', '(555) 123-4567'],
    ['tel 555.123.4567', '555.123.4567'],
    ['06 12 34 56 78', '06 12 34 56 78'],
    ['+1 (415) 555-2671', '+1 (415) 555-2671'],
  ])('finds it in %s', (text, match) => expectDetected('phone', text, match));

  test.each([
    ['4155552671'], // a plain integer
    ['order 123456789012'],
    ['2024-01-15'],
    ['2024-01-15 10:30:00'],
    ['15.01.2024'],
    ['192.168.100.200'],
    ['1 234 567 890'], // thousands
    ['-12345678'],
    ['123e4567-e89b-12d3-a456-426614174000'],
    ['ORD-2024-000123'],
    ['12345.67'],
    ['+1234567'], // 7 digits
  ])('ignores %s', (text) => expect(found('phone', text)).toEqual([]));
});

describe('national_id', () => {
  test.each([
    ['ssn 123-45-6789', '123-45-6789'],
    ['SSN: 078 05 1120', '078 05 1120'],
    ['NI number AB 12 34 56 C', 'AB 12 34 56 C'],
    ['JG103759A', 'JG103759A'],
    ['DNI 12345678Z', '12345678Z'],
    ['NIE X1234567L', 'X1234567L'],
    ['SIN 130-692-544', '130-692-544'],
  ])('finds it in %s', (text, match) => expectDetected('national_id', text, match));

  test.each([
    ['000-12-3456'], // area 000
    ['666-12-3456'],
    ['912-34-5678'], // area 9xx
    ['123-00-4567'],
    ['123456789'], // bare digits are too ambiguous
    ['GB123456A'], // GB prefix is never allocated
    ['12345678A'], // wrong DNI letter
    ['130-692-545'], // Luhn fails
  ])('ignores %s', (text) => expect(found('national_id', text)).toEqual([]));
});

describe('secret', () => {
  const jwt =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  test.each([
    [`Bearer ${jwt}`, jwt],
    ['key AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    [`token=ghp_${'A1b2'.repeat(9)}`, `ghp_${'A1b2'.repeat(9)}`],
    [`github_pat_${'x'.repeat(82)}`, `github_pat_${'x'.repeat(82)}`],
    ['xoxb-123456789012-abcdefABCDEF', 'xoxb-123456789012-abcdefABCDEF'],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['rk_live_51H8abcdefghijklmnop', 'rk_live_51H8abcdefghijklmnop'],
    [`postern_conn_${'0'.repeat(32)}_${'a'.repeat(43)}`, `postern_conn_${'0'.repeat(32)}_${'a'.repeat(43)}`],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nrest',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
    ],
    ['-----BEGIN PRIVATE KEY-----\nMIIEvQ (cut)', '-----BEGIN PRIVATE KEY-----\nMIIEvQ (cut)'],
    ['postgres://app:hunter2@db.internal:5432/app', 'hunter2'],
    [`AIza${'S'.repeat(35)}`, `AIza${'S'.repeat(35)}`],
  ])('finds it in %s', (text, match) => expectDetected('secret', text, match));

  test.each([
    ['eyJhbGciOiJIUzI1NiJ9'], // a JWT header alone
    ['AKIA1234'],
    ['ghp_short'],
    ['sk_live_x'],
    ['-----BEGIN CERTIFICATE-----'],
    ['https://example.com/path?x=1'],
    ['snake_case_identifier'],
  ])('ignores %s', (text) => expect(found('secret', text)).toEqual([]));
});

describe('prefilter', () => {
  test('plain words and small numbers raise no candidate', () => {
    for (const text of ['Customer 42', 'shipped', '12.50', 'hello world', 'order 12345']) {
      expect(candidatesInString(text)).toBe(0);
    }
  });

  test('a backslash is reported for JSON escapes', () => {
    expect(candidatesInString('"\\u0040"') & Candidate.escape).toBe(Candidate.escape);
  });
});
