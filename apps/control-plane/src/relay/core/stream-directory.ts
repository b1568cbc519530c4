import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { AgentStreams } from '../../agents/agent-streams.js';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { RedisService } from '../../platform/infra/redis/redis.service.js';

/**
 * Which replicas hold each agent's Control stream, shared in Redis so that a relay client landing
 * on any replica can be forwarded to one that can open its tunnel. Per agent, a sorted set
 * `<prefix>:agent-streams:<agentId>` whose members are `<instanceId> <internal address>` scored by
 * their expiry (ms). A replica refreshes its entries every heartbeat interval while it holds the
 * streams, removes them when the last stream of an agent ends and at shutdown; a replica that dies
 * leaves entries that expire after the heartbeat timeout, like the agent's presence.
 */
@Injectable()
export class StreamDirectory implements OnModuleInit, OnApplicationShutdown {
  private address: string | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly streams: AgentStreams,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.streams.watch((agentId, held) => {
      if (!this.address) return;
      const work = held ? this.register([agentId]) : this.unregister([agentId]);
      work.catch((error: unknown) =>
        this.logger.warn({ err: error, agentId }, 'could not update the stream directory'),
      );
    });
  }

  /** Called once the internal link listens: from now on this replica's streams are advertised. */
  advertise(address: string): void {
    this.address = address;
    this.timer = setInterval(() => {
      this.register(this.heldAgents()).catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not refresh the stream directory'),
      );
    }, this.config.agents.heartbeatIntervalMs);
    this.timer.unref();
    void this.register(this.heldAgents()).catch(() => undefined);
  }

  /** Internal addresses of the other replicas holding a stream of the agent, freshest first. */
  async holders(agentId: string): Promise<string[]> {
    const members = await this.redis.client.zrevrangebyscore(this.key(agentId), '+inf', Date.now());
    const own = this.member();
    return members
      .filter((member) => member !== own)
      .map((member) => member.slice(member.lastIndexOf(' ') + 1))
      .filter((address) => address.length > 0);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.address) await this.unregister(this.heldAgents()).catch(() => undefined);
  }

  private heldAgents(): string[] {
    return [...new Set(this.streams.list().map((stream) => stream.agentId))];
  }

  private async register(agentIds: string[]): Promise<void> {
    if (agentIds.length === 0) return;
    const now = Date.now();
    const ttl = this.config.agents.heartbeatTimeoutMs;
    const batch = this.redis.client.multi();
    for (const agentId of agentIds) {
      const key = this.key(agentId);
      batch.zadd(key, now + ttl, this.member());
      batch.zremrangebyscore(key, '-inf', now);
      batch.pexpire(key, ttl * 2);
    }
    await batch.exec();
  }

  private async unregister(agentIds: string[]): Promise<void> {
    if (agentIds.length === 0) return;
    const batch = this.redis.client.multi();
    for (const agentId of agentIds) batch.zrem(this.key(agentId), this.member());
    await batch.exec();
  }

  private member(): string {
    return `${this.config.instanceId} ${this.address ?? ''}`;
  }

  private key(agentId: string): string {
    return `${this.config.redis.prefix}:agent-streams:${agentId}`;
  }
}
