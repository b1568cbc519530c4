import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { RedisService } from '../../platform/infra/redis/redis.service.js';

export interface CancelRoute {
  agentId: string;
  connectionId: string;
}

/** A guard against entries left by a replica that died: live sessions delete theirs at the end. */
const ROUTE_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * PostgreSQL cancels a query over a new connection that carries only the BackendKeyData the
 * session received — no database name — and that connection may land on any replica. The relay
 * remembers which agent issued each key while the session lives, here and in Redis (shared by
 * the replicas), so a CancelRequest arriving anywhere can be tunnelled to the right agent. The
 * Redis key is a hash of the cancel key: the secret itself is not stored.
 */
@Injectable()
export class CancelRoutes {
  private readonly routes = new Map<string, CancelRoute>();

  constructor(
    private readonly redis: RedisService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private key(processId: number, secretKey: Buffer): string {
    const digest = createHash('sha256').update(`${processId}:`).update(secretKey).digest('hex');
    return `${this.config.redis.prefix}:pg-cancel:${digest}`;
  }

  add(processId: number, secretKey: Buffer, route: CancelRoute): () => void {
    const key = this.key(processId, secretKey);
    this.routes.set(key, route);
    this.redis.client.set(key, JSON.stringify(route), 'PX', ROUTE_TTL_MS).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not share a cancel key; cancels reach it through this replica only');
    });
    return () => {
      if (this.routes.get(key) !== route) return;
      this.routes.delete(key);
      this.redis.client.del(key).catch(() => undefined);
    };
  }

  async find(processId: number, secretKey: Buffer): Promise<CancelRoute | undefined> {
    const key = this.key(processId, secretKey);
    const local = this.routes.get(key);
    if (local) return local;
    const raw = await this.redis.client.get(key).catch(() => null);
    if (!raw) return undefined;
    try {
      const route = JSON.parse(raw) as Partial<CancelRoute>;
      if (typeof route.agentId === 'string' && typeof route.connectionId === 'string') {
        return { agentId: route.agentId, connectionId: route.connectionId };
      }
    } catch {
      // fall through: a malformed entry routes nowhere
    }
    return undefined;
  }
}
