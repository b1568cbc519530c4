import { describe, expect, test } from '@jest/globals';
import { GroupAppender } from './group-append.js';

/** An append that records each call and finishes when the test says so. */
function gatedAppend(refuse: (items: string[]) => boolean = () => false) {
  const calls: string[][] = [];
  const gates: Array<() => void> = [];
  const append = (items: string[]): Promise<void> => {
    calls.push(items);
    return new Promise((resolve, reject) => {
      gates.push(() => (refuse(items) ? reject(new Error(`refused ${items.join(',')}`)) : resolve()));
    });
  };
  const openAll = async (): Promise<void> => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { calls, append, openAll };
}

describe('GroupAppender', () => {
  test('an idle appender writes a lone event at once; events arriving meanwhile go together next, in order', async () => {
    const { calls, append, openAll } = gatedAppend();
    const appender = new GroupAppender(append, { maxGroup: 100, lingerMs: 0, busyWindowMs: 0 });
    const first = appender.add('a');
    expect(calls).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((item) => appender.add(item));
    expect(calls).toEqual([['a']]);
    await openAll();
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([['a'], ['b', 'c', 'd']]);
  });

  test('a backlog is split into groups of at most maxGroup', async () => {
    const { calls, append, openAll } = gatedAppend();
    const appender = new GroupAppender(append, { maxGroup: 2, lingerMs: 0, busyWindowMs: 0 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((item) => appender.add(item));
    await openAll();
    await Promise.all(all);
    expect(calls).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  test('when a group fails, each event is retried alone and only the refused one fails its caller', async () => {
    const { calls, append, openAll } = gatedAppend((items) => items.includes('bad'));
    const appender = new GroupAppender(append, { maxGroup: 100, lingerMs: 0, busyWindowMs: 0 });
    const first = appender.add('a');
    const results = ['b', 'bad', 'c'].map((item) =>
      appender.add(item).then(
        () => `${item}: stored`,
        (error: Error) => `${item}: ${error.message}`,
      ),
    );
    await openAll();
    await first;
    expect(await Promise.all(results)).toEqual(['b: stored', 'bad: refused bad', 'c: stored']);
    expect(calls).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
    // The appender carries on after a failure.
    const later = appender.add('d');
    await openAll();
    await later;
    expect(calls.at(-1)).toEqual(['d']);
  });

  test('while events keep coming, the next one lingers for company; after a quiet spell it is written at once', async () => {
    const { calls, append, openAll } = gatedAppend();
    const appender = new GroupAppender(append, { maxGroup: 100, lingerMs: 40, busyWindowMs: 150 });
    const a = appender.add('a');
    await openAll();
    await a;
    const b = appender.add('b');
    const c = appender.add('c');
    expect(calls).toEqual([['a']]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toEqual([['a'], ['b', 'c']]);
    await openAll();
    await Promise.all([b, c]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const d = appender.add('d');
    expect(calls.at(-1)).toEqual(['d']);
    await openAll();
    await d;
  });
});
