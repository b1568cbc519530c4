import { describe, expect, test } from '@jest/globals';
import { Hasher, maskMatch, maskWholeBytes, maskWholeString, MATCH_REDACTION, WHOLE_REDACTION } from './styles.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const bytesOf = (s: string) => Buffer.from(s);
const whole = (style: 'redact' | 'partial' | 'hash', s: string, hasher = new Hasher(key)) =>
  maskWholeBytes(style, hasher, bytesOf(s), 0, Buffer.byteLength(s)).toString();

describe('redact', () => {
  test('a whole value becomes a fixed token that does not reveal its length', () => {
    expect(whole('redact', 'a')).toBe(WHOLE_REDACTION);
    expect(whole('redact', 'a much longer secret value')).toBe(WHOLE_REDACTION);
  });

  test('a match becomes a short fixed token', () => {
    expect(maskMatch('redact', new Hasher(key), 'john@example.com', 'john@example.com')).toBe(MATCH_REDACTION);
  });
});

describe('partial', () => {
  test('keeps the last four characters of values of eight or more', () => {
    expect(whole('partial', '4111111111111111')).toBe('************1111');
    expect(whole('partial', 'abcdefgh')).toBe('****efgh');
  });

  test('masks short values entirely', () => {
    expect(whole('partial', 'abcdefg')).toBe('*******');
    expect(whole('partial', '1234')).toBe('****');
  });

  test('counts characters, not bytes, and never splits one', () => {
    expect(whole('partial', 'Zürich-Straße-ñandú')).toBe(`${'*'.repeat(15)}andú`);
    expect(maskWholeString('partial', new Hasher(key), 'emoji 😀😀😀😀x')).toBe('*******😀😀😀x');
    expect(whole('partial', '日本語のテキストです')).toBe('******ストです');
  });
});

describe('hash', () => {
  test('is deterministic, short, and the same for bytes and strings', () => {
    const a = whole('hash', 'john@example.com');
    expect(a).toMatch(/^h:[0-9a-f]{16}$/);
    expect(whole('hash', 'john@example.com', new Hasher(key))).toBe(a);
    expect(maskWholeString('hash', new Hasher(key), 'john@example.com')).toBe(a);
  });

  test('distinct values give distinct hashes', () => {
    const seen = new Set(Array.from({ length: 1000 }, (_, i) => whole('hash', `value-${i}`)));
    expect(seen.size).toBe(1000);
  });

  test('depends on the key', () => {
    const other = new Hasher(Buffer.from('another-key-another-key-another!'));
    expect(whole('hash', 'john@example.com', other)).not.toBe(whole('hash', 'john@example.com'));
  });

  test('a match is hashed in its canonical form', () => {
    const hasher = new Hasher(key);
    expect(maskMatch('hash', hasher, '4111 1111 1111 1111', '4111111111111111')).toBe(
      maskMatch('hash', hasher, '4111-1111-1111-1111', '4111111111111111'),
    );
  });

  test('a repeated value is served from the cache with the same result', () => {
    const hasher = new Hasher(key);
    const first = Array.from({ length: 5000 }, (_, i) => hasher.ofString(`v${i % 100}`));
    expect(first.slice(0, 100)).toEqual(first.slice(4900));
  });
});
