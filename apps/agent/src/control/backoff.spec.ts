import { describe, expect, test } from '@jest/globals';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  test('doubles its ceiling per attempt up to the cap', () => {
    const upper = new Backoff(500, 30_000, () => 1);
    expect(Array.from({ length: 9 }, () => upper.next())).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  test('full jitter: any delay from a small floor up to the ceiling, the first one included', () => {
    const lower = new Backoff(500, 30_000, () => 0);
    expect(Array.from({ length: 4 }, () => lower.next())).toEqual([50, 50, 50, 50]);
  });

  test('1,000 agents dropped together do not come back in the same millisecond', () => {
    const first = Array.from({ length: 1000 }, () => new Backoff(500, 30_000).next());
    expect(Math.min(...first)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...first)).toBeLessThanOrEqual(500);
    // 1,000 draws over 450 ms: no single millisecond gets more than a handful.
    const perMs = new Map<number, number>();
    for (const delay of first) perMs.set(delay, (perMs.get(delay) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeLessThan(15);
  });

  test('later attempts spread over the whole window up to the cap', () => {
    const delays = Array.from({ length: 1000 }, () => {
      const backoff = new Backoff(500, 30_000);
      for (let i = 0; i < 6; i += 1) backoff.next();
      return backoff.next();
    });
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    expect(Math.min(...delays)).toBeLessThan(5_000);
    expect(new Set(delays).size).toBeGreaterThan(500);
  });

  test('starts over after a successful connection', () => {
    const backoff = new Backoff(100, 10_000, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
