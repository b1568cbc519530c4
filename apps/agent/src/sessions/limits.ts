import { LoginFailures, SourceLimits } from '@postern/policy';

export { sourceHost } from '@postern/policy';

/**
 * Per-source and per-principal admission limits of the agent: how many sessions one source
 * address may start per second, how many failed authentications one name may have from one
 * address per minute before it is locked out (with backoff), and how many sessions one principal
 * may hold at once. Pure bookkeeping with bounded memory (the tables
 * forget the least recently seen addresses beyond `maxTracked`).
 */
export interface LimitSettings {
  /** New sessions per second per source address (token bucket refill rate). */
  connectRatePerAddress: number;
  /** Bucket size: a burst of this many sessions is fine. */
  connectBurstPerAddress: number;
  /** Failed authentications per (address, user name) per rolling minute before that pair is locked out. */
  authFailuresPerMinute: number;
  /** First lockout; each further lockout of the same pair doubles it, up to an hour. */
  authLockoutMs: number;
  /** Concurrent sessions per principal. */
  maxSessionsPerPrincipal: number;
  /** Addresses remembered at most (oldest forgotten first). */
  maxTracked: number;
}

const MAX_LOCKOUT_MS = 3_600_000;

export type Refusal = { limit: 'connect_rate' | 'auth_failures' | 'principal_sessions'; message: string };

export class AdmissionLimits {
  private readonly sources: SourceLimits;
  private readonly failures: LoginFailures;
  private readonly sessions = new Map<string, number>();

  constructor(private readonly settings: LimitSettings) {
    this.sources = new SourceLimits({
      ratePerSecond: settings.connectRatePerAddress,
      burst: settings.connectBurstPerAddress,
      maxTracked: settings.maxTracked,
    });
    this.failures = new LoginFailures({
      threshold: settings.authFailuresPerMinute,
      windowMs: 60_000,
      baseLockMs: settings.authLockoutMs,
      maxLockMs: Math.max(settings.authLockoutMs, MAX_LOCKOUT_MS),
      maxTracked: settings.maxTracked,
    });
  }

  /**
   * A new session from `address` presenting the user name `user` wants to authenticate: spends a
   * token of the address, unless that name is locked out there.
   */
  admitAttempt(address: string, user: string, now = Date.now()): Refusal | null {
    const locked = this.failures.lockedFor(address, user, now);
    if (locked > 0) {
      return {
        limit: 'auth_failures',
        message: `too many failed authentications for user "${user}" from ${address}; try again in ${Math.ceil(locked / 1000)} s`,
      };
    }
    if (!this.sources.take(address, now))
      return { limit: 'connect_rate', message: `too many new sessions from ${address}` };
    return null;
  }

  authFailed(address: string, user: string, now = Date.now()): void {
    this.failures.failed(address, user, now);
  }

  authSucceeded(address: string, user: string): void {
    this.failures.succeeded(address, user);
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
