import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CONFIG, type ControlPlaneConfig } from '../../config/config.js';

/**
 * The shared Redis connection (commands, health). BullMQ opens its own connections from the same
 * settings (see queues.module.ts) because blocking commands need dedicated ones.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;
  private subscriber: Redis | null = null;
  private readonly handlers = new Map<string, Array<(message: string) => void>>();

  constructor(@Inject(CONFIG) private readonly config: ControlPlaneConfig) {
    this.client = new Redis(config.redis.url, {
      lazyConnect: false,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
    // Connection errors are reported by readiness; without a listener ioredis would print them raw.
    this.client.on('error', () => undefined);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Publishes on a channel under the configured prefix (reaches every replica). */
  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(`${this.config.redis.prefix}:${channel}`, message);
  }

  /** Subscribes on a dedicated connection (a subscribed Redis connection can do nothing else). */
  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    const full = `${this.config.redis.prefix}:${channel}`;
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (name: string, message: string) => {
        for (const h of this.handlers.get(name) ?? []) h(message);
      });
    }
    const list = this.handlers.get(full) ?? [];
    list.push(handler);
    this.handlers.set(full, list);
    if (list.length === 1) await this.subscriber.subscribe(full);
  }

  /**
   * Subscribes to a channel of JSON messages (every replica-to-replica order is one): the handler
   * gets the parsed value, or null when the message is not JSON. Checking its shape is the
   * handler's: any replica, of any version, may have published it.
   */
  subscribeJson<T>(channel: string, handler: (value: Partial<T> | null) => void): Promise<void> {
    return this.subscribe(channel, (message) => {
      let value: Partial<T> | null;
      try {
        value = JSON.parse(message) as Partial<T> | null;
      } catch {
        value = null;
      }
      handler(value !== null && typeof value === 'object' ? value : null);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
