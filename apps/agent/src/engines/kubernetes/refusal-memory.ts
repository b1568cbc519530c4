import type { RawAnswer } from './status.js';

/**
 * What the engine last refused a principal's stream request for, kept a short while. kubectl
 * retries a refused WebSocket exec/port-forward over SPDY on a new connection, and prints that
 * second answer: SPDY is refused without asking the rules again (a second hold would ask the
 * reviewers twice), so the retry is answered with the first refusal — the agent's, or the API
 * server's own answer when it refused the upgrade.
 */
export class RefusalMemory {
  private readonly entries = new Map<string, { answer: RawAnswer; until: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 1000,
  ) {}

  remember(principalId: string, request: string, answer: RawAnswer, now = Date.now()): void {
    const key = `${principalId}\u0000${request}`;
    this.entries.delete(key);
    this.entries.set(key, { answer, until: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  recall(principalId: string, request: string, now = Date.now()): RawAnswer | null {
    const key = `${principalId}\u0000${request}`;
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.until <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry.answer;
  }
}
