import { applyPolicyUpdate, type PolicySnapshot__Output, type PolicyUpdate__Output } from '@postern/proto';

/**
 * The last policy the control plane pushed. Engines decide from it locally; its age lets the
 * agent apply the staleness bound of DESIGN.md §7 when the control plane is unreachable.
 */
export class PolicyCache {
  private snapshot: PolicySnapshot__Output | null = null;
  private receivedAt = 0;

  /** Set after a refused delta: deltas are refused until a full snapshot arrives. */
  private needsSnapshot = false;

  replace(snapshot: PolicySnapshot__Output, now = Date.now()): void {
    this.snapshot = snapshot;
    this.receivedAt = now;
    this.needsSnapshot = false;
  }

  /**
   * Applies a delta on top of the held snapshot. Throws (and refuses every later delta until
   * a full snapshot) when the delta was made for another version than the one held: the agent
   * then acks applied=false and the control plane sends the whole snapshot.
   */
  apply(update: PolicyUpdate__Output, now = Date.now()): PolicySnapshot__Output {
    if (this.needsSnapshot) throw new Error('waiting for a full policy snapshot after a refused update');
    try {
      this.snapshot = applyPolicyUpdate(this.snapshot, update);
    } catch (error) {
      this.needsSnapshot = true;
      throw error;
    }
    this.receivedAt = now;
    return this.snapshot;
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
