import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { deadline } from './deadline.js';

describe('deadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('aborts when its time is up, with a TimeoutError', () => {
    const d = deadline(new AbortController().signal, 1_000);
    jest.advanceTimersByTime(999);
    expect(d.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  test('aborts with the parent, with the parent’s reason', () => {
    const parent = new AbortController();
    const d = deadline(parent.signal, 1_000);
    parent.abort(new Error('revoked'));
    expect((d.signal.reason as Error).message).toBe('revoked');
  });

  test('clear() leaves no timer and no listener behind', () => {
    const parent = new AbortController();
    const d = deadline(parent.signal, 1_000);
    d.clear();
    jest.advanceTimersByTime(5_000);
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
