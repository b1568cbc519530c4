/**
 * Exponential backoff with full jitter for reconnecting to the control plane. The ceiling
 * doubles per failed attempt up to `maxMs`, and every delay — the first one included — is drawn
 * uniformly from [floor, ceiling]. After a control-plane restart a fleet of agents that lost
 * their streams in the same millisecond therefore spreads its reconnects over the whole window
 * instead of arriving in one wave (AWS Architecture Blog, "Exponential Backoff And Jitter").
 * The small floor (`initialMs / 10`) keeps an agent from spinning when the random draw is ~0.
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
    const floor = Math.min(ceiling, Math.ceil(this.initialMs / 10));
    this.attempt += 1;
    return Math.round(floor + this.random() * (ceiling - floor));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
