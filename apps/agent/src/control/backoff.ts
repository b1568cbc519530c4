/**
 * Exponential backoff with jitter for reconnecting to the control plane. The ceiling doubles
 * per failed attempt up to `maxMs`; the delay is drawn uniformly from [ceiling/2, ceiling], so
 * a fleet of agents that lost the control plane together spreads its reconnects over time
 * instead of arriving in one wave, while no agent retries sooner than half the ceiling.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
