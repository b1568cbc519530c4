import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { RedisService } from '../infra/redis/redis.service.js';

/**
 * Token bucket in one Lua call (atomic across replicas): refills `rate` tokens per second up to
 * `burst`, takes `cost` tokens only when all of them are there. Time comes from Redis, so
 * replicas with skewed clocks share one bucket correctly.
 * KEYS[1] bucket; ARGV rate, burst, cost. Returns { taken (0/1), tokens left (string) }.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= cost then
  tokens = tokens - cost
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return { taken, tostring(tokens) }
`;

/** How long a rate-limit check may wait for Redis before the mutation is refused. */
const REDIS_TIMEOUT_MS = 2_000;

/**
 * Mutations per identity (a user, a service identity, the bootstrap token, or an anonymous
 * caller's address), counted per mutation field: 50 aliased copies of a mutation in one request
 * cost 50. The whole request is refused when its fields do not fit; none of them runs. The bucket
 * lives in Redis so that every replica draws from it. Fails closed: without Redis, mutations are
 * refused (UNAVAILABLE) rather than run unmetered.
 */
@Injectable()
export class MutationRateLimiter {
  private readonly rate: number;
  private readonly burst: number;

  constructor(
    private readonly redis: RedisService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.rate = config.graphql.mutationsPerSecond;
    this.burst = config.graphql.mutationBurst;
  }

  async take(identity: string, fields: number): Promise<void> {
    if (fields <= 0) return;
    if (fields > this.burst) {
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        `too many mutations in one request: ${fields} (at most ${this.burst}); send them in smaller batches`,
      );
    }
    const taken = await this.takeFrom({ name: 'mutations', rate: this.rate, burst: this.burst }, identity, fields);
    if (!taken) {
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        `rate limit: at most ${this.burst} mutations at once and ${this.rate} per second afterwards; slow down`,
      );
    }
  }

  /**
   * Takes `cost` tokens from `identity`'s bucket of one kind (`name`): true when they were there.
   * Other public endpoints (token exchange) meter their callers with it. Fails closed: without
   * Redis it throws UNAVAILABLE.
   */
  async takeFrom(bucket: { name: string; rate: number; burst: number }, identity: string, cost = 1): Promise<boolean> {
    const key = `${this.config.redis.prefix}:ratelimit:${bucket.name}:${digest(identity)}`;
    let taken: number;
    try {
      [taken] = (await withTimeout(
        this.redis.client.eval(TAKE, 1, key, String(bucket.rate), String(bucket.burst), String(cost)),
        REDIS_TIMEOUT_MS,
      )) as [number, string];
    } catch (error) {
      this.logger.error({ err: error, bucket: bucket.name }, 'rate limiter unavailable; refusing the request');
      throw new DomainError('UNAVAILABLE', 'the rate limiter is unavailable; try again shortly');
    }
    return taken === 1;
  }
}

function digest(identity: string): string {
  return createHash('sha256').update(identity).digest('base64url').slice(0, 32);
}

function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
