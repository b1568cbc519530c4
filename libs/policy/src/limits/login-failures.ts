/**
 * Failed-login lockout keyed by source host and the identity the client presented (the user name
 * of its StartupMessage), shared by the agent and the relay. Guessing for one name from one host
 * locks out that name from that host only: the other users behind the same NAT keep working.
 *
 * `threshold` failures inside `windowMs` lock the key for `baseLockMs`; each further lockout of
 * the same key doubles it, up to `maxLockMs` (backoff). A successful login clears the key. Memory
 * is bounded: beyond `maxTracked` keys the least recently seen is forgotten.
 */
export interface LoginFailureSettings {
  /** Failed logins per (host, identity) within `windowMs` before it is locked. */
  threshold: number;
  windowMs: number;
  /** First lockout; doubled for every lockout after it. */
  baseLockMs: number;
  maxLockMs: number;
  maxTracked: number;
}

interface KeyState {
  failures: number[];
  lockedUntil: number;
  /** Lockouts so far (drives the backoff); forgotten with the key. */
  lockouts: number;
}

export class LoginFailures {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly settings: LoginFailureSettings) {}

  /** Milliseconds until (host, identity) may try again; 0 when it may try now. */
  lockedFor(host: string, identity: string, now = Date.now()): number {
    const state = this.keys.get(keyOf(host, identity));
    return state && state.lockedUntil > now ? state.lockedUntil - now : 0;
  }

  failed(host: string, identity: string, now = Date.now()): void {
    const state = this.touch(keyOf(host, identity));
    state.failures = state.failures.filter((at) => now - at < this.settings.windowMs);
    state.failures.push(now);
    if (state.failures.length < this.settings.threshold) return;
    state.failures = [];
    const lock = Math.min(this.settings.maxLockMs, this.settings.baseLockMs * 2 ** state.lockouts);
    state.lockouts += 1;
    state.lockedUntil = now + lock;
  }

  succeeded(host: string, identity: string): void {
    this.keys.delete(keyOf(host, identity));
  }

  private touch(key: string): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { failures: [], lockedUntil: 0, lockouts: 0 };
      if (this.keys.size >= this.settings.maxTracked) this.keys.delete(this.keys.keys().next().value!);
    } else {
      this.keys.delete(key);
    }
    this.keys.set(key, state);
    return state;
  }
}

function keyOf(host: string, identity: string): string {
  // Names are compared as PostgreSQL compares them once quoted: exactly. NUL cannot occur in either.
  return `${host}\u0000${identity}`;
}
