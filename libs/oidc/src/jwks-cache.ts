import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { TokenRejectedError } from './errors.js';
import type { OidcEventListener } from './events.js';
import { describeError, fetchJson, type FetchLike } from './http.js';
import { publicSigningKeys } from './jwks.js';

export interface JwksSource {
  fetch: FetchLike;
  now: () => number;
  /** Where the keys live: a configured URI or one found by discovery (itself cached). */
  resolveUri: () => Promise<string>;
  cacheMs: number;
  minRefreshMs: number;
  timeoutMs: number;
  emit: OidcEventListener;
}

export interface KeyResolver {
  getKey: JWTVerifyGetKey;
}

/**
 * The issuer's signing keys, fetched once and shared by every verification.
 *
 * - Keys older than `cacheMs` are refreshed on the next verification.
 * - An unknown `kid` triggers a refresh (the issuer may have rotated), but no more often than
 *   every `minRefreshMs`: tokens with random kids must not turn us into a flood aimed at the IdP.
 * - A failed refresh keeps the keys we have: an IdP outage must not lock out every workload
 *   whose tokens are still valid.
 * - Concurrent callers share one in-flight request.
 */
export class JwksCache {
  private resolver: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly source: JwksSource) {}

  /** The keys to verify with now, fetching or refreshing them first when needed. */
  async current(): Promise<KeyResolver> {
    const stale = this.source.now() - this.fetchedAt >= this.source.cacheMs;
    if (this.inFlight || (stale && this.mayAttempt())) await this.refresh();
    if (!this.resolver) {
      throw new TokenRejectedError(
        'jwks_unavailable',
        `the issuer's signing keys could not be fetched; next attempt in ${this.retryInSeconds()} s`,
      );
    }
    return { getKey: this.resolver };
  }

  /**
   * Called when a token names a key we do not have. Resolves to the keys to retry with, or to
   * `undefined` when a refresh happened too recently to try again.
   */
  async refreshForUnknownKey(): Promise<KeyResolver | undefined> {
    if (!this.inFlight && !this.mayAttempt()) {
      this.source.emit({ type: 'jwks_refresh_throttled', retryInSeconds: this.retryInSeconds() });
      return undefined;
    }
    await this.refresh();
    return this.resolver ? { getKey: this.resolver } : undefined;
  }

  private mayAttempt(): boolean {
    return this.source.now() - this.lastAttemptAt >= this.source.minRefreshMs;
  }

  private retryInSeconds(): number {
    const wait = this.lastAttemptAt + this.source.minRefreshMs - this.source.now();
    return Math.max(0, Math.ceil(wait / 1000));
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.source.now();
    let uri = '(discovery)';
    let keySet: JSONWebKeySet;
    try {
      uri = await this.source.resolveUri();
      keySet = publicSigningKeys(await fetchJson(this.source.fetch, uri, this.source.timeoutMs));
    } catch (error) {
      this.source.emit({
        type: 'jwks_fetch_failed',
        uri,
        reason: describeError(error),
        servingCachedKeys: this.resolver !== undefined,
      });
      return;
    }
    this.resolver = createLocalJWKSet(keySet);
    this.fetchedAt = this.source.now();
    this.source.emit({ type: 'jwks_fetched', uri, keyCount: keySet.keys.length });
  }
}

/** Keys handed to us in configuration (air-gapped agents receive them in their policy). */
export function staticKeys(jwks: unknown): KeyResolver {
  return { getKey: createLocalJWKSet(publicSigningKeys(jwks)) };
}
