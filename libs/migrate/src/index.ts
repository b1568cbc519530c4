export { applyMigrations, type ApplyMigrationsOptions, type ApplyMigrationsResult } from './apply.js';
export { migrationStatus, type MigrationStatus, type MigrationStatusOptions } from './status.js';
export { createMigration, type CreateMigrationOptions, type CreateMigrationResult } from './create.js';
export { migrationChecksum } from './checksum.js';
export { PRISMA_MIGRATE_LOCK_KEY } from './advisory-lock.js';
export { MIGRATIONS_TABLE } from './migrations-table.js';
export type { MigrateLogger } from './logger.js';
export {
  MigrateError,
  MigrationApplyError,
  MigrationEditedError,
  MigrationFailedPreviouslyError,
  MigrationLockTimeoutError,
  MigrationNotInDirectoryError,
  MigrationsDirectoryError,
  type MigrateErrorCode,
} from './errors.js';
