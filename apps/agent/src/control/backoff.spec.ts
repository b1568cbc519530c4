import { describe, expect, test } from '@jest/globals';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  test('doubles its ceiling per attempt up to the cap', () => {
    const upper = new Backoff(500, 30_000, () => 1);
    expect(Array.from({ length: 9 }, () => upper.next())).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  test('never waits less than half the ceiling', () => {
    const lower = new Backoff(500, 30_000, () => 0);
    expect(Array.from({ length: 4 }, () => lower.next())).toEqual([250, 500, 1000, 2000]);
  });

  test('spreads a fleet: 1,000 agents on attempt 6 do not pick the same instant', () => {
    const delays = Array.from({ length: 1000 }, () => {
      const backoff = new Backoff(500, 30_000);
      for (let i = 0; i < 6; i += 1) backoff.next();
      return backoff.next();
    });
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(15_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
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
