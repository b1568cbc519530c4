import { createHash } from 'node:crypto';
import { TokenRejectedError } from './errors.js';
import type { OidcEventListener } from './events.js';
import { describeError, fetchJson, isRecord, type FetchLike } from './http.js';

/** RFC 7662 token introspection, for issuers that hand out opaque (non-JWT) access tokens. */
export interface IntrospectionOptions {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  /** Active answers kept at most this many (default 1000); the oldest go first. */
  maxCacheEntries?: number;
  /** Optional ceiling on how long an active answer is reused; by default until the token's `exp`. */
  maxCacheSeconds?: number;
}

export interface IntrospectionIo {
  fetch: FetchLike;
  now: () => number;
  timeoutMs: number;
  emit: OidcEventListener;
}

interface CachedAnswer {
  claims: Record<string, unknown>;
  untilMs: number;
}

/**
 * Asks the issuer whether an opaque token is active. Active answers are cached until the
 * token expires so a busy client costs one round trip per token, not one per connection. The
 * cache is keyed by a SHA-256 of the token: the token itself is never kept.
 */
export class IntrospectionClient {
  private readonly cache = new Map<string, CachedAnswer>();
  private readonly inFlight = new Map<string, Promise<Record<string, unknown>>>();
  private readonly maxEntries: number;

  constructor(
    private readonly options: IntrospectionOptions,
    private readonly io: IntrospectionIo,
  ) {
    this.maxEntries = options.maxCacheEntries ?? 1000;
  }

  /** The claims of an active token; throws `introspection_inactive` for any other answer. */
  async introspect(token: string): Promise<Record<string, unknown>> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.untilMs > this.io.now()) return cached.claims;
    if (cached) this.cache.delete(key);

    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.ask(token).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const claims = await pending;
    this.remember(key, claims);
    return claims;
  }

  private async ask(token: string): Promise<Record<string, unknown>> {
    let answer: unknown;
    try {
      answer = await fetchJson(this.io.fetch, this.options.endpoint, this.io.timeoutMs, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });
    } catch (error) {
      const reason = describeError(error);
      this.io.emit({ type: 'introspection_failed', endpoint: this.options.endpoint, reason });
      throw new TokenRejectedError('introspection_unavailable', `the token introspection endpoint failed: ${reason}`);
    }
    if (!isRecord(answer)) {
      throw new TokenRejectedError('introspection_unavailable', 'the token introspection endpoint did not answer JSON');
    }
    if (answer.active !== true) {
      throw new TokenRejectedError('introspection_inactive', 'the issuer reports the token as not active');
    }
    return answer;
  }

  private remember(key: string, claims: Record<string, unknown>): void {
    if (typeof claims.exp !== 'number') return;
    const now = this.io.now();
    const ceiling = this.options.maxCacheSeconds === undefined ? Infinity : now + this.options.maxCacheSeconds * 1000;
    const untilMs = Math.min(claims.exp * 1000, ceiling);
    if (untilMs <= now || this.maxEntries <= 0) return;
    if (this.cache.size >= this.maxEntries) this.evict(now);
    this.cache.set(key, { claims, untilMs });
  }

  /** Drops expired answers, then the oldest ones (a Map iterates in insertion order). */
  private evict(now: number): void {
    for (const [key, answer] of this.cache) if (answer.untilMs <= now) this.cache.delete(key);
    for (const key of this.cache.keys()) {
      if (this.cache.size < this.maxEntries) break;
      this.cache.delete(key);
    }
  }
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before going into Basic auth. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
