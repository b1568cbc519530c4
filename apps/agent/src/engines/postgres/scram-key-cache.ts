import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { scramKeys, type ScramKeyDerivation, type ScramKeys } from '@postern/wire-postgres';

interface Entry {
  /** HMAC of the password under this process's random key: tells a changed password apart. */
  readonly fingerprint: Buffer;
  readonly keys: ScramKeys;
}

/** Entries kept (a few hundred bytes each); the least recently used goes first. */
const DEFAULT_MAX_ENTRIES = 1024;

/**
 * The SCRAM-SHA-256 keys derived from a target password, per (role, salt, iterations), as
 * pgbouncer keeps them: a target's PBKDF2 (4,096 rounds by default, about 1–2 ms of CPU) then runs
 * once per role instead of once per session. The server still sends a fresh nonce each time, so
 * every login proves itself afresh; only the salted password is reused.
 *
 * A hit needs the same password too: each entry holds an HMAC of it under a key drawn at start
 * (compared in constant time), so a rotated secret derives new keys, and neither the password nor
 * anything an attacker could brute-force offline without that key is kept. Nothing here is logged.
 */
export class ScramKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly fingerprintKey = randomBytes(32);

  constructor(
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    private readonly derive: ScramKeyDerivation = scramKeys,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The derivation for one role's logins, for `scramClientFinal`. */
  forRole(role: string): ScramKeyDerivation {
    return (password, salt, iterations) => this.keys(role, password, salt, iterations);
  }

  keys(role: string, password: string, salt: Uint8Array, iterations: number): ScramKeys {
    const id = `${iterations}:${Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength).toString('base64')}:${role}`;
    const fingerprint = createHmac('sha256', this.fingerprintKey).update(password, 'utf8').digest();
    const hit = this.entries.get(id);
    if (hit !== undefined && timingSafeEqual(hit.fingerprint, fingerprint)) {
      // Most recently used last (a Map keeps insertion order).
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit.keys;
    }
    const keys = this.derive(password, salt, iterations);
    this.entries.delete(id);
    this.entries.set(id, { fingerprint, keys });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return keys;
  }
}
