import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../../config/config.js';
import { LOGGER } from '../logging/nest-logger.js';
import { GrpcServer, type GrpcServiceRegistration } from './grpc-server.js';

/**
 * Nest lifecycle around the agents' gRPC server. Features register their services during
 * `onModuleInit`; the server binds once every module is ready; on shutdown, features' stop hooks
 * run first (closing agent streams so agents move to another replica at once) and the server
 * then drains within the configured grace period — before the database connection closes.
 */
@Injectable()
export class GrpcServerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly server: GrpcServer;
  private readonly stopHooks: Array<() => Promise<void>> = [];

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.server = new GrpcServer(config, logger);
  }

  register(registration: GrpcServiceRegistration, onStop?: () => Promise<void>): void {
    this.server.add(registration);
    if (onStop) this.stopHooks.push(onStop);
  }

  get port(): number | undefined {
    return this.server.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.server.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.stopHooks.map((hook) => hook()));
    await this.server.stop(this.config.shutdownGraceMs);
  }
}
