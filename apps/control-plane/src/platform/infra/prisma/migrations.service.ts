import { Inject, Injectable } from '@nestjs/common';
import { applyMigrations, migrationStatus } from '@postern/migrate';
import type { Logger } from '@postern/logging';
import type { ControlPlaneConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.js';
import { LOGGER } from '../logging/nest-logger.js';

/** Applies pending migrations at boot (under PostgreSQL's advisory lock) and reports their state. */
@Injectable()
export class MigrationsService {
  private upToDate = false;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(): Promise<string[]> {
    const { applied } = await runMigrations(this.config, this.logger);
    this.upToDate = true;
    return applied;
  }

  /** True once every migration in the directory is applied; cached after the first success. */
  async applied(): Promise<boolean> {
    if (this.upToDate) return true;
    const status = await migrationStatus({
      connectionString: this.config.database.url,
      migrationsDir: this.config.database.migrationsDir,
    });
    this.upToDate = status.pending.length === 0 && status.failed.length === 0;
    return this.upToDate;
  }
}

export async function runMigrations(config: ControlPlaneConfig, logger: Logger): Promise<{ applied: string[] }> {
  const result = await applyMigrations({
    connectionString: config.database.url,
    migrationsDir: config.database.migrationsDir,
    logger: {
      info: (message: string) => logger.info({ component: 'migrate' }, message),
      warn: (message: string) => logger.warn({ component: 'migrate' }, message),
    },
  });
  if (result.applied.length > 0) logger.info({ applied: result.applied }, 'migrations applied');
  else logger.info('database schema up to date');
  return result;
}
