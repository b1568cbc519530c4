import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { RedisService } from '../../platform/infra/redis/redis.service.js';

/**
 * Remembers consumed sign-in transactions in Redis (shared by every replica) until they would
 * have expired anyway, so one authorization response is honoured once even if replayed.
 */
@Injectable()
export class UsedSignInTransactions {
  constructor(
    private readonly redis: RedisService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  /** True the first time `id` is consumed; false on every later call within `ttlMs`. */
  async consume(id: string, ttlMs: number): Promise<boolean> {
    const key = `${this.config.redis.prefix}:oidc-sign-in:used:${id}`;
    const stored = await this.redis.client.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    return stored === 'OK';
  }
}
