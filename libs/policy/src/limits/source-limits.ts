/**
 * Per-source admission bookkeeping shared by every ingress (the agent's listener and tunnels, the
 * control plane's relay): a token bucket of new sessions per source host, with bounded memory —
 * beyond `maxTracked` hosts the least recently seen is forgotten (it starts again with a full
 * bucket, which errs towards admitting, never towards refusing a host that did nothing).
 */
export interface SourceRateSettings {
  /** New sessions per second per source host (refill rate). */
  ratePerSecond: number;
  /** Bucket size: a burst of this many is fine. */
  burst: number;
  /** Hosts remembered at most. */
  maxTracked: number;
}

export interface SourceState {
  tokens: number;
  refilledAt: number;
  /** Times of recent failed authentications (the agent's use). */
  failures: number[];
}

export class SourceLimits {
  private readonly sources = new Map<string, SourceState>();

  constructor(private readonly settings: SourceRateSettings) {}

  /** Spends one token of `host`'s bucket; false when it is empty. */
  take(host: string, now = Date.now()): boolean {
    const state = this.state(host, now);
    const elapsed = (now - state.refilledAt) / 1000;
    state.tokens = Math.min(this.settings.burst, state.tokens + elapsed * this.settings.ratePerSecond);
    state.refilledAt = now;
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  /** The host's state, marked as just seen. */
  state(host: string, now = Date.now()): SourceState {
    let state = this.sources.get(host);
    if (state === undefined) {
      state = { tokens: this.settings.burst, refilledAt: now, failures: [] };
      if (this.sources.size >= this.settings.maxTracked) this.sources.delete(this.sources.keys().next().value!);
    } else {
      this.sources.delete(host);
    }
    // Re-inserted: Map order is recency, so the first key is the least recently seen.
    this.sources.set(host, state);
    return state;
  }
}

/**
 * The host part of a client address as the ingresses write it: "host:port" (IPv6 hosts too,
 * e.g. "::ffff:10.0.0.1:5432") or "[v6]:port". Limits are kept per host, not per connection.
 */
export function sourceHost(clientAddress: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(clientAddress);
  if (bracket) return bracket[1]!;
  const port = /:\d+$/.exec(clientAddress);
  return port ? clientAddress.slice(0, port.index) : clientAddress;
}
