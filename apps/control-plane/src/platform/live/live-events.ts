import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { RedisService } from '../infra/redis/redis.service.js';
import { LiveQueue } from './live-queue.js';

/** Items a subscriber may fall behind before its stream ends (see LiveQueue). */
const MAX_BUFFERED = 1000;

export interface ListenOptions<T> {
  /** Turns one message into the items to yield (none: skip it); `last` ends the stream after them. */
  decode(message: string): { items: T[]; last?: boolean };
}

/**
 * Live events for GraphQL subscriptions, across replicas: a replica publishes on Redis pub/sub
 * (`<prefix>:live:<topic>`), and every replica with a subscriber for that topic hands the message
 * to its subscribers. Each topic is subscribed on Redis while this replica has a subscriber for
 * it, on a connection of its own (a subscribed connection can do nothing else). Delivery is
 * at-most-once, as pub/sub is: a live view, not a log (the log is in PostgreSQL).
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<(message: string) => void>>();
  private readonly queues = new Set<LiveQueue<unknown>>();

  constructor(
    private readonly redis: RedisService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async publish(topic: string, message: string): Promise<void> {
    await this.redis.client.publish(this.channel(topic), message);
  }

  /** Whether any replica has a subscriber for the topic (saves publishing what nobody reads). */
  async hasListeners(topic: string): Promise<boolean> {
    const reply = (await this.redis.client.pubsub('NUMSUB', this.channel(topic))) as [string, number];
    return Number(reply[1]) > 0;
  }

  /**
   * A stream of the topic's messages, decoded, from the moment the promise resolves (Redis has
   * confirmed the subscription). Ends when the subscriber returns, on `last`, or on overflow.
   */
  async listen<T>(topic: string, options: ListenOptions<T>): Promise<LiveQueue<T>> {
    const channel = this.channel(topic);
    const subscriber = this.connection();
    const listeners = this.listeners.get(channel) ?? new Set();
    const queue: LiveQueue<T> = new LiveQueue<T>(MAX_BUFFERED, () => {
      this.queues.delete(queue as LiveQueue<unknown>);
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(channel) === listeners) {
        this.listeners.delete(channel);
        subscriber.unsubscribe(channel).catch(() => undefined);
      }
    });
    const listener = (message: string) => {
      try {
        const { items, last } = options.decode(message);
        queue.push(items, last);
      } catch (error) {
        this.logger.warn({ err: error, topic }, 'ignored a malformed live event');
      }
    };
    listeners.add(listener);
    this.queues.add(queue as LiveQueue<unknown>);
    if (!this.listeners.has(channel)) this.listeners.set(channel, listeners);
    try {
      await subscriber.subscribe(channel);
    } catch (error) {
      queue.end();
      throw error;
    }
    return queue;
  }

  onApplicationShutdown(): void {
    for (const queue of [...this.queues]) queue.end();
    this.subscriber?.disconnect();
  }

  private connection(): Redis {
    if (!this.subscriber) {
      this.subscriber = this.redis.client.duplicate();
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (channel: string, message: string) => {
        for (const listener of this.listeners.get(channel) ?? []) listener(message);
      });
    }
    return this.subscriber;
  }

  private channel(topic: string): string {
    return `${this.config.redis.prefix}:live:${topic}`;
  }
}
