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
    const appender = new GroupAppender(append, 100);
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
    const appender = new GroupAppender(append, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((item) => appender.add(item));
    await openAll();
    await Promise.all(all);
    expect(calls).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  test('when a group fails, each event is retried alone and only the refused one fails its caller', async () => {
    const { calls, append, openAll } = gatedAppend((items) => items.includes('bad'));
    const appender = new GroupAppender(append, 100);
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
});
