/** What a live stream yields when its subscriber fell too far behind (the stream then ends). */
export class LiveOverflow {
  constructor(readonly dropped: number) {}
}

/**
 * A bounded queue read as an async iterator: messages are pushed as they arrive (from Redis) and
 * pulled by one GraphQL subscription. A subscriber more than `limit` items behind is not buffered
 * without bound: the queue yields a LiveOverflow and ends, so one slow client costs one stream.
 */
export class LiveQueue<T> implements AsyncIterableIterator<T | LiveOverflow> {
  private readonly items: Array<T | LiveOverflow> = [];
  private readonly waiting: Array<(result: IteratorResult<T | LiveOverflow>) => void> = [];
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  /** Adds items; `last` ends the stream after them. Ignored once the stream ended. */
  push(items: T[], last = false): void {
    if (this.closed) return;
    for (const item of items) {
      const reader = this.waiting.shift();
      if (reader) reader({ value: item, done: false });
      else if (this.items.length < this.limit) this.items.push(item);
      else {
        this.items.push(new LiveOverflow(items.length));
        this.end();
        return;
      }
    }
    if (last) this.end();
  }

  /** Ends the stream: buffered items are still read, then the iterator is done. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    for (const reader of this.waiting.splice(0)) reader({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T | LiveOverflow>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The subscriber went away (client `complete`, socket closed). */
  return(): Promise<IteratorResult<T | LiveOverflow>> {
    this.items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
