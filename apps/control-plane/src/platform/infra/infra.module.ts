import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { LOGGER } from './logging/nest-logger.js';
import { PrismaService } from './prisma/prisma.service.js';
import { RedisService } from './redis/redis.service.js';
import { QueuesService } from './queues/queues.service.js';
import { GrpcServerService } from './grpc/grpc-server.service.js';
import { MigrationsService } from './prisma/migrations.service.js';

/** Process-wide infrastructure: configuration, logger, database, Redis, queues, gRPC server. */
@Global()
@Module({})
export class InfraModule {
  static forRoot(config: ControlPlaneConfig, logger: Logger): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      PrismaService,
      RedisService,
      QueuesService,
      GrpcServerService,
      MigrationsService,
    ];
    return { module: InfraModule, providers, exports: providers };
  }
}
