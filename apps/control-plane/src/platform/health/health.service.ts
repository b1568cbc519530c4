import { Injectable } from '@nestjs/common';
import { HealthRepository } from './health.repository.js';
import { RedisService } from '../infra/redis/redis.service.js';
import { MigrationsService } from '../infra/prisma/migrations.service.js';
import { CONTROL_PLANE_VERSION } from '../../version.js';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: Promise<boolean>): Promise<boolean> {
  return Promise.race([
    check.catch(() => false),
    new Promise<boolean>((resolve) => setTimeout(resolve, CHECK_TIMEOUT_MS, false).unref()),
  ]);
}

@Injectable()
export class HealthService {
  constructor(
    private readonly database: HealthRepository,
    private readonly redis: RedisService,
    private readonly migrations: MigrationsService,
  ) {}

  liveness() {
    return { status: 'ok', version: CONTROL_PLANE_VERSION };
  }

  /** Ready = the database answers, Redis answers, and every migration is applied. */
  async readiness() {
    const [database, redis] = await Promise.all([withTimeout(this.database.ping()), withTimeout(this.redis.ping())]);
    const migrations = database ? await withTimeout(this.migrations.applied()) : false;
    const checks = { database, redis, migrations };
    return { ready: database && redis && migrations, checks };
  }
}
