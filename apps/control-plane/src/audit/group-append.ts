/**
 * Group commit for audit appends. Every append to the hash chain is a transaction under one
 * lock shared by all replicas (read the head, hash, insert); under load — a burst of sessions
 * opening and closing, each with its own events — one transaction per event spends the
 * database's time on lock hand-offs and round trips. Here, events that arrive while an append is
 * in flight wait and go together in the next one, in arrival order. An appender that wrote within
 * the last `busyWindowMs` lingers `lingerMs` before writing, so that a steady stream of events
 * (sessions opening and closing one after the other) is grouped too; an idle one writes at once,
 * so a lone event (an administrator's action) waits for nothing.
 *
 * Each caller's promise settles with its own event's fate. When a grouped append fails, every
 * event of the group is retried alone, so one event the database refuses fails only its caller
 * (and a database that is down fails each of them, as it would have one by one).
 */
export class GroupAppender<T> {
  private readonly waiting: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing = false;
  private lingering: NodeJS.Timeout | undefined;
  private lastAppendEnded = -Infinity;

  constructor(
    private readonly append: (items: T[]) => Promise<unknown>,
    private readonly options: { maxGroup: number; lingerMs: number; busyWindowMs: number },
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.flushing || this.lingering !== undefined) return;
      const busy = performance.now() - this.lastAppendEnded < this.options.busyWindowMs;
      if (!busy || this.options.lingerMs <= 0) return void this.flush();
      this.lingering = setTimeout(() => {
        this.lingering = undefined;
        void this.flush();
      }, this.options.lingerMs);
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, this.options.maxGroup);
        try {
          await this.append(group.map((entry) => entry.item));
          for (const entry of group) entry.resolve();
        } catch (error) {
          if (group.length === 1) {
            group[0]!.reject(error);
            continue;
          }
          for (const entry of group) {
            await this.append([entry.item]).then(entry.resolve, entry.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
      this.lastAppendEnded = performance.now();
    }
  }
}
