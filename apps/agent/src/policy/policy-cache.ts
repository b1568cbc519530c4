import type { PolicySnapshot__Output } from '@postern/proto';

/**
 * The last policy the control plane pushed. Engines decide from it locally; its age lets the
 * agent apply the staleness bound of DESIGN.md §7 when the control plane is unreachable.
 */
export class PolicyCache {
  private snapshot: PolicySnapshot__Output | null = null;
  private receivedAt = 0;

  replace(snapshot: PolicySnapshot__Output, now = Date.now()): void {
    this.snapshot = snapshot;
    this.receivedAt = now;
  }

  get version(): string {
    return this.snapshot?.version ?? '0';
  }

  get current(): PolicySnapshot__Output | null {
    return this.snapshot;
  }

  ageMs(now = Date.now()): number {
    return this.snapshot ? now - this.receivedAt : Number.POSITIVE_INFINITY;
  }
}
