import { SourceLimits } from '@postern/policy';

export { sourceHost } from '@postern/policy';

/**
 * Per-source and per-principal admission limits of the agent: how many sessions one source
 * address may start per second, how many failed authentications it may have per minute, and how
 * many sessions one principal may hold at once. Pure bookkeeping with bounded memory (the tables
 * forget the least recently seen addresses beyond `maxTracked`).
 */
export interface LimitSettings {
  /** New sessions per second per source address (token bucket refill rate). */
  connectRatePerAddress: number;
  /** Bucket size: a burst of this many sessions is fine. */
  connectBurstPerAddress: number;
  /** Failed authentications per address per rolling minute before the address is refused. */
  authFailuresPerMinute: number;
  /** Concurrent sessions per principal. */
  maxSessionsPerPrincipal: number;
  /** Addresses remembered at most (oldest forgotten first). */
  maxTracked: number;
}

export type Refusal = { limit: 'connect_rate' | 'auth_failures' | 'principal_sessions'; message: string };

export class AdmissionLimits {
  private readonly sources: SourceLimits;
  private readonly sessions = new Map<string, number>();

  constructor(private readonly settings: LimitSettings) {
    this.sources = new SourceLimits({
      ratePerSecond: settings.connectRatePerAddress,
      burst: settings.connectBurstPerAddress,
      maxTracked: settings.maxTracked,
    });
  }

  /** A new session from `address` wants to authenticate: spends a token, unless failures bar it. */
  admitAttempt(address: string, now = Date.now()): Refusal | null {
    const state = this.sources.state(address, now);
    state.failures = state.failures.filter((at) => now - at < 60_000);
    if (state.failures.length >= this.settings.authFailuresPerMinute) {
      return { limit: 'auth_failures', message: `too many failed authentications from ${address}; try again later` };
    }
    if (!this.sources.take(address, now))
      return { limit: 'connect_rate', message: `too many new sessions from ${address}` };
    return null;
  }

  authFailed(address: string, now = Date.now()): void {
    this.sources.state(address, now).failures.push(now);
  }

  /** Takes a session slot for the principal; call `release` exactly once when it ends. */
  openSession(principalId: string): Refusal | { release: () => void } {
    const open = this.sessions.get(principalId) ?? 0;
    if (open >= this.settings.maxSessionsPerPrincipal) {
      return {
        limit: 'principal_sessions',
        message: `too many sessions for this identity (${this.settings.maxSessionsPerPrincipal} at most)`,
      };
    }
    this.sessions.set(principalId, open + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.sessions.get(principalId) ?? 1) - 1;
        if (left <= 0) this.sessions.delete(principalId);
        else this.sessions.set(principalId, left);
      },
    };
  }
}
