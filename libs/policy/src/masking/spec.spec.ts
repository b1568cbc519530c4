import { describe, expect, test } from '@jest/globals';
import { PolicySpecError } from '../errors.js';
import { parseMaskingSpec } from './spec.js';
import { customRegexProblem } from './regex-safety.js';

function failure(spec: unknown): PolicySpecError {
  try {
    parseMaskingSpec(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicySpecError);
    return error as PolicySpecError;
  }
  throw new Error('expected a PolicySpecError');
}

describe('parseMaskingSpec', () => {
  test('accepts column patterns in every form, detectors and custom patterns', () => {
    const spec = parseMaskingSpec({
      columns: ['email', 'customers.email', 'public.customers.card_*', '*_token', '*'],
      detectors: ['email', 'payment_card', 'email'],
      customPatterns: [{ name: 'employee-id', regex: 'EMP-\\d{6}' }],
      style: 'hash',
    });
    expect(spec).toEqual({
      columns: ['email', 'customers.email', 'public.customers.card_*', '*_token', '*'],
      detectors: ['email', 'payment_card'],
      customPatterns: [{ name: 'employee-id', regex: 'EMP-\\d{6}' }],
      style: 'hash',
    });
  });

  test.each([
    [{ columns: ['email'] }, 'style'],
    [{ columns: ['email'], style: 'scramble' }, 'style'],
    [{ columns: ['email'], style: 'redact', extra: 1 }, 'extra'],
    [{ columns: ['a.b.c.d'], style: 'redact' }, 'columns[0]'],
    [{ columns: ['email', 'bad name'], style: 'redact' }, 'columns[1]'],
    [{ columns: ["o'brien"], style: 'redact' }, 'columns[0]'],
    [{ detectors: ['email', 'dna'], style: 'redact' }, 'detectors[1]'],
    [{ customPatterns: [{ name: 'x', regex: '(' }], style: 'redact' }, 'customPatterns[0].regex'],
    [{ customPatterns: [{ name: 'x', regex: 'a', flags: 'i' }], style: 'redact' }, 'customPatterns[0].flags'],
    [{ customPatterns: [{ name: '', regex: 'abc' }], style: 'redact' }, 'customPatterns[0].name'],
  ])('%j is refused naming %s', (spec, path) => {
    const error = failure(spec);
    expect(error.path).toBe(path);
    expect(error.message).toContain(path);
  });

  test('a spec needs at least one of columns, detectors or custom patterns', () => {
    expect(failure({ style: 'redact' }).message).toMatch(/at least one of columns, detectors or customPatterns/);
    expect(failure({ columns: [], detectors: [], style: 'redact' }).message).toMatch(/at least one/);
  });

  test('anything but an object is refused', () => {
    for (const spec of [null, 'redact', 42, []]) expect(failure(spec)).toBeInstanceOf(PolicySpecError);
  });
});

describe('custom regex safety', () => {
  test.each([
    ['EMP-\\d{6}'],
    ['\\bACCT[0-9]{8,12}\\b'],
    ['[A-Z]{3}-\\d+'],
    ['(?:acct|account)[ #:]{0,3}\\d{8,12}'],
    ['\\p{Lu}{2}\\d{6}'],
    ['(?<id>[A-F0-9]{8})-(?=[A-F0-9])'],
    ['(?:\\d{3}-){2}\\d{4}'],
  ])('accepts %s', (source) => {
    expect(customRegexProblem(source)).toBeNull();
  });

  test.each([
    ['(a+)+$', /nested quantifiers/],
    ['(\\w+\\s?)*x', /nested quantifiers/],
    ['(?:[a-z]+\\.)+com', /nested quantifiers/],
    ['(a|ab)*c', /alternation/],
    ['(a|a){2,40}', /alternation/],
    ['(\\w)\\1', /backreferences/],
    ['(?<x>a)\\k<x>', /backreferences/],
    ['(?<=secret:)\\w+', /lookbehind/],
    ['(?<!x)\\d+', /lookbehind/],
    ['a*', /empty string/],
    ['\\d*\\s*\\w*x', /at most 2/],
    ['\\d+x', /too slow/],
    ['.*secret', /too slow/],
    ['[', /does not compile/],
    ['\\_', /does not compile/], // the u flag refuses needless escapes
  ])('refuses %s', (source, why) => {
    expect(customRegexProblem(source)).toMatch(why);
  });

  test('refuses an empty or overlong source', () => {
    expect(customRegexProblem('')).toMatch(/empty/);
    expect(customRegexProblem('x'.repeat(513))).toMatch(/at most 512/);
  });

  test('the probe rejects quickly: a catastrophic shape never reaches it, a quadratic one stops early', () => {
    const started = Date.now();
    expect(customRegexProblem('(x+x+)+y')).not.toBeNull();
    expect(customRegexProblem('[a-z]+@')).toMatch(/too slow/);
    // Not a benchmark: a bound that only a probe running into the large inputs for long would break.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
