import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../../generated/prisma/client.js';
import { CONFIG, type ControlPlaneConfig } from '../../config/config.js';

/**
 * The Prisma client, on node-postgres through the driver adapter (no query-engine binary).
 * Only `*.repository.ts` files may inject it.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(CONFIG) config: ControlPlaneConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.database.url, max: 10 }) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
