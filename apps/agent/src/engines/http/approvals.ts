/*
 * Held HTTP requests outlive the client's patience: a request is held for the connection's
 * `approvalHoldSeconds`; without a decision by then it is answered 409 with the review id, and the
 * review stays open (for the approval rule's own timeout). A retry of the same request (same
 * principal, connection, method, path, query and checked headers) while the review is open gets
 * the same review id again, never a second review; once approved, the next identical request
 * passes once (within `reuseMs` of the decision); once rejected or expired, a retry starts over.
 * Engine-wide, in memory: a retry may come on another connection, but not through another agent.
 */
import { createHash } from 'node:crypto';
import type { ApprovalOutcome } from '../engine.js';

interface Entry {
  reviewId: string;
  outcome: Promise<ApprovalOutcome>;
  approvedAt: number | null;
}

export class HeldRequests {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly reuseMs = 10 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  static key(principalId: string, connectionId: string, requestText: string): string {
    return createHash('sha256').update(`${principalId}\0${connectionId}\0${requestText}`).digest('base64url');
  }

  /** An approval for this request that may be used now (consumed), or the open review, or null. */
  lookup(key: string, now = Date.now()): { approved: true } | { pending: Entry } | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.approvedAt === null) return { pending: entry };
    this.entries.delete(key);
    return now - entry.approvedAt <= this.reuseMs ? { approved: true } : null;
  }

  /** Tracks a review until it is decided; approved ones stay for one retry. */
  track(key: string, reviewId: string, outcome: Promise<ApprovalOutcome>): Entry {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const entry: Entry = { reviewId, outcome, approvedAt: null };
    this.entries.set(key, entry);
    void outcome.then((result) => {
      if (this.entries.get(key) !== entry) return;
      if (result.outcome === 'approved') entry.approvedAt = Date.now();
      else this.entries.delete(key);
    });
    return entry;
  }

  /** The held request itself was let through on approval: nothing is left for a retry. */
  consume(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }
}
