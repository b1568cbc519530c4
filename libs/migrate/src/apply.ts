import { withMigrationLock } from './advisory-lock.js';
import { openSession, parseConnectionString } from './connection.js';
import { MigrationEditedError, MigrationFailedPreviouslyError, MigrationNotInDirectoryError } from './errors.js';
import { analyseHistory, type HistoryAnalysis } from './history.js';
import { silentLogger, type MigrateLogger } from './logger.js';
import { readMigrationsDirectory } from './migrations-dir.js';
import { ensureMigrationsTable, listMigrationRecords } from './migrations-table.js';
import { runMigration } from './script-runner.js';

export interface ApplyMigrationsOptions {
  /** PostgreSQL URL; a Prisma-style `?schema=` parameter selects the schema (default public). */
  connectionString: string;
  /** Directory in Prisma's layout (`<timestamp>_<name>/migration.sql`, `migration_lock.toml`). */
  migrationsDir: string;
  logger?: MigrateLogger;
  /** How long to wait for another migration run to release the lock; 0 waits forever. Default 10 minutes. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Migrations applied by this call, in order; empty when the database was up to date. */
  applied: string[];
}

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Applies pending migrations like `prisma migrate deploy`, serialised with it (and with other
 * instances of this function) by Prisma Migrate's advisory lock on one dedicated session.
 * Unlike deploy, it also refuses edited migrations and migrations unknown to the directory.
 */
export async function applyMigrations(options: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const logger = options.logger ?? silentLogger;
  const directory = await readMigrationsDirectory(options.migrationsDir);
  const target = parseConnectionString(options.connectionString);
  const client = await openSession(target);

  try {
    return await withMigrationLock(client, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, async () => {
      // Everything below happens under the lock: reading the history before taking it could see
      // migrations as pending that a concurrent run is applying.
      await ensureMigrationsTable(client, target.schema);
      const history = analyseHistory(directory.migrations, await listMigrationRecords(client, target.schema));
      refuseInconsistentHistory(history, options.migrationsDir);

      if (history.pending.length === 0) {
        logger.info('No pending migrations.');
        return { applied: [] };
      }

      const applied: string[] = [];
      const pending = new Set(history.pending);
      for (const migration of directory.migrations.filter((candidate) => pending.has(candidate.name))) {
        logger.info(`Applying migration ${migration.name}`);
        const started = Date.now();
        await runMigration(client, target.schema, migration, () =>
          logger.warn(
            `Migration ${migration.name} cannot run inside a transaction block; running it without one, as Prisma does.`,
          ),
        );
        logger.info(`Applied migration ${migration.name} in ${Date.now() - started} ms`);
        applied.push(migration.name);
      }
      return { applied };
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function refuseInconsistentHistory(history: HistoryAnalysis, migrationsDir: string): void {
  const failed = history.failed[0];
  if (failed) throw new MigrationFailedPreviouslyError(failed.migrationName, failed.startedAt, failed.logs);
  const edited = history.edited[0];
  if (edited) throw new MigrationEditedError(edited.name, edited.recordedChecksum, edited.fileChecksum);
  const missing = history.missingFromDirectory[0];
  if (missing) throw new MigrationNotInDirectoryError(missing, migrationsDir);
}
