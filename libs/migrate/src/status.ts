import { openSession, parseConnectionString } from './connection.js';
import { analyseHistory } from './history.js';
import { readMigrationsDirectory } from './migrations-dir.js';
import { listMigrationRecords, migrationsTableExists } from './migrations-table.js';

export interface MigrationStatusOptions {
  connectionString: string;
  migrationsDir: string;
}

export interface MigrationStatus {
  /** Folders not applied yet, in the order they would be applied. */
  pending: string[];
  /** Migrations the database records as finished, in the order they were applied. */
  applied: string[];
  /** Migrations whose last attempt failed and is not yet resolved (they block `applyMigrations`). */
  failed: string[];
  /** Applied migrations whose migration.sql changed since (they block `applyMigrations`). */
  edited: string[];
  /** Applied migrations this directory lacks, e.g. code older than the database (they block `applyMigrations`). */
  missingFromDirectory: string[];
}

/**
 * Read-only comparison of the directory with `_prisma_migrations`, cheap enough for a readiness
 * probe: it takes no lock and creates nothing. "Migrations applied" means every list but
 * `applied` is empty.
 */
export async function migrationStatus(options: MigrationStatusOptions): Promise<MigrationStatus> {
  const directory = await readMigrationsDirectory(options.migrationsDir);
  const target = parseConnectionString(options.connectionString);
  const client = await openSession(target);
  try {
    const records = (await migrationsTableExists(client, target.schema))
      ? await listMigrationRecords(client, target.schema)
      : [];
    const history = analyseHistory(directory.migrations, records);
    return {
      pending: history.pending,
      applied: history.applied,
      failed: history.failed.map((record) => record.migrationName),
      edited: history.edited.map((entry) => entry.name),
      missingFromDirectory: history.missingFromDirectory,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
