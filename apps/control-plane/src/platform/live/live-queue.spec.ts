import { describe, expect, test } from '@jest/globals';
import { LiveOverflow, LiveQueue } from './live-queue.js';

async function drain<T>(queue: LiveQueue<T>): Promise<Array<T | LiveOverflow>> {
  const out: Array<T | LiveOverflow> = [];
  for await (const item of queue) out.push(item);
  return out;
}

describe('LiveQueue', () => {
  test('hands pushed items to a waiting reader, buffers the rest, and ends after `last`', async () => {
    let closed = 0;
    const queue = new LiveQueue<number>(10, () => (closed += 1));
    const first = queue.next();
    queue.push([1, 2]);
    expect(await first).toEqual({ value: 1, done: false });
    queue.push([3], true);
    queue.push([4]);
    expect(await drain(queue)).toEqual([2, 3]);
    expect(closed).toBe(1);
  });

  test('a reader too far behind gets an overflow marker and the stream ends', async () => {
    let closed = 0;
    const queue = new LiveQueue<number>(2, () => (closed += 1));
    queue.push([1, 2, 3, 4]);
    const items = await drain(queue);
    expect(items.slice(0, 2)).toEqual([1, 2]);
    expect(items[2]).toBeInstanceOf(LiveOverflow);
    expect(items).toHaveLength(3);
    expect(closed).toBe(1);
  });

  test('return() (the client went away) ends a pending read and closes once', async () => {
    let closed = 0;
    const queue = new LiveQueue<number>(2, () => (closed += 1));
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });
});
