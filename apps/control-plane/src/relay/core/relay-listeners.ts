import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { SocketListener } from '@postern/net';
import { CONFIG, ConfigError, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { FRONT_DOORS, type FrontDoor } from './front-door.js';

/** A front door as clients reach it. */
export interface RelayEndpoint {
  protocol: string;
  port: number;
  tls: boolean;
}

/**
 * One listener per registered front door that is on, with the same lifecycle and the same
 * per-host connection cap (POSTERN_RELAY_MAX_CONNECTIONS_PER_ADDRESS): a host over the cap is
 * refused before a byte is read, so one host cannot hold every socket of the relay.
 */
@Injectable()
export class RelayListeners implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listeners: SocketListener[] = [];
  private readonly bound: RelayEndpoint[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(FRONT_DOORS) private readonly doors: FrontDoor[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const known = new Map(this.doors.map((door) => [door.protocol, door]));
    const unknown = Object.keys(this.config.relay.doors).filter((protocol) => !known.has(protocol));
    if (unknown.length > 0) {
      throw new ConfigError([
        `POSTERN_RELAY_PROTOCOLS names ${unknown.join(', ')}, which this build has no relay front door for ` +
          `(it has: ${[...known.keys()].join(', ')})`,
      ]);
    }
    for (const [protocol, settings] of Object.entries(this.config.relay.doors)) {
      const door = known.get(protocol)!;
      const listen = { host: settings.host, port: settings.port ?? door.defaultPort };
      const listener = new SocketListener(
        {
          name: `${door.protocol} relay`,
          ...listen,
          maxConnectionsPerAddress: this.config.relay.maxConnectionsPerAddress,
          onRefused: (socket, host) => {
            this.logger.debug({ host, limit: this.config.relay.maxConnectionsPerAddress }, 'relay connection refused');
            door.refuseBusy(socket, host);
          },
        },
        (socket) => door.accept(socket, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`),
      );
      this.listeners.push(listener);
      const port = await listener.start();
      const tls = Boolean(this.config.relay.tls) && door.ownEncryption !== true;
      this.bound.push({ protocol, port, tls });
      this.logger.info({ host: listen.host, port, tls }, `${door.protocol} relay listening`);
    }
  }

  /** The front doors listening on this replica, with the ports they bound. */
  endpoints(): readonly RelayEndpoint[] {
    return this.bound;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.listeners.map((listener) => listener.stop()));
  }
}
