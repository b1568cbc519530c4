import { checksumMatches } from './checksum.js';
import type { LocalMigration } from './migrations-dir.js';
import type { MigrationRecord } from './migrations-table.js';

/**
 * Compares the migrations directory with `_prisma_migrations`, using Prisma's rules: rows with
 * `rolled_back_at` set are ignored; a remaining row without `finished_at` is a failed migration;
 * a folder without a remaining row is pending.
 */
export interface HistoryAnalysis {
  /** Finished migrations, in the order they were applied. */
  readonly applied: string[];
  /** Folders not yet applied, in directory order. */
  readonly pending: string[];
  /** Rows of attempts that neither finished nor were rolled back. */
  readonly failed: MigrationRecord[];
  /** Applied migrations whose migration.sql no longer matches the recorded checksum. */
  readonly edited: { name: string; recordedChecksum: string; fileChecksum: string }[];
  /** Applied migrations that have no folder in the directory. */
  readonly missingFromDirectory: string[];
}

export function analyseHistory(local: readonly LocalMigration[], records: readonly MigrationRecord[]): HistoryAnalysis {
  const active = records.filter((record) => record.rolledBackAt === null);
  const activeNames = new Set(active.map((record) => record.migrationName));
  const localByName = new Map(local.map((migration) => [migration.name, migration]));
  const finished = active.filter((record) => record.finishedAt !== null);

  const edited: HistoryAnalysis['edited'] = [];
  for (const record of finished) {
    const file = localByName.get(record.migrationName);
    if (file && !checksumMatches(file.script, record.checksum)) {
      edited.push({ name: record.migrationName, recordedChecksum: record.checksum, fileChecksum: file.checksum });
    }
  }

  return {
    applied: unique(finished.map((record) => record.migrationName)),
    pending: local.filter((migration) => !activeNames.has(migration.name)).map((migration) => migration.name),
    failed: active.filter((record) => record.finishedAt === null),
    edited,
    missingFromDirectory: unique(
      finished.filter((record) => !localByName.has(record.migrationName)).map((record) => record.migrationName),
    ),
  };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
