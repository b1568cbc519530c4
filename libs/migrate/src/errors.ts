/**
 * Every refusal and failure of this library is a `MigrateError` with a stable `code`, so that
 * callers (the control plane's startup, the CLI) can branch on the kind of problem instead of
 * parsing messages, and every error that concerns one migration names it in `migrationName`.
 */
export type MigrateErrorCode =
  | 'INVALID_MIGRATIONS_DIRECTORY'
  | 'MIGRATION_EDITED'
  | 'MIGRATION_FAILED_PREVIOUSLY'
  | 'MIGRATION_NOT_IN_DIRECTORY'
  | 'MIGRATION_APPLY_FAILED'
  | 'LOCK_TIMEOUT'
  | 'INVALID_MIGRATION_NAME'
  | 'DATABASE_URL_REQUIRED'
  | 'INVALID_DATABASE_URL'
  | 'INVALID_SCHEMA'
  | 'SCHEMA_ENGINE_FAILED';

export class MigrateError extends Error {
  override readonly name: string = 'MigrateError';

  constructor(
    readonly code: MigrateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The migrations directory is unusable: unreadable, a folder without `migration.sql`, or a lock file for another provider. */
export class MigrationsDirectoryError extends MigrateError {
  override readonly name = 'MigrationsDirectoryError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_MIGRATIONS_DIRECTORY', message, options);
  }
}

/** `migration.sql` of an applied migration no longer matches the checksum recorded when it was applied. */
export class MigrationEditedError extends MigrateError {
  override readonly name = 'MigrationEditedError';

  constructor(
    readonly migrationName: string,
    readonly recordedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(
      'MIGRATION_EDITED',
      `Migration "${migrationName}" was modified after it was applied: the recorded checksum ` +
        `${recordedChecksum} does not match migration.sql (${fileChecksum}). Restore the original ` +
        `file and put the change in a new migration.`,
    );
  }
}

/** `_prisma_migrations` holds a row that was started and neither finished nor rolled back (Prisma's P3009). */
export class MigrationFailedPreviouslyError extends MigrateError {
  override readonly name = 'MigrationFailedPreviouslyError';

  constructor(
    readonly migrationName: string,
    readonly startedAt: Date,
    readonly logs: string | null,
  ) {
    super(
      'MIGRATION_FAILED_PREVIOUSLY',
      `Migration "${migrationName}" failed in an earlier attempt (started ${startedAt.toISOString()}); ` +
        `no migration is applied until it is resolved. Check the database, then mark it rolled back ` +
        `(\`prisma migrate resolve --rolled-back "${migrationName}"\`, or ` +
        `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${migrationName}' ` +
        `AND finished_at IS NULL AND rolled_back_at IS NULL) and run the migrations again.` +
        (logs ? `\nLogs of the failed attempt:\n${logs.trim()}` : ''),
    );
  }
}

/** The database records an applied migration that the migrations directory does not contain. */
export class MigrationNotInDirectoryError extends MigrateError {
  override readonly name = 'MigrationNotInDirectoryError';

  constructor(
    readonly migrationName: string,
    readonly migrationsDir: string,
  ) {
    super(
      'MIGRATION_NOT_IN_DIRECTORY',
      `The database has migration "${migrationName}" applied, but ${migrationsDir} does not contain it; ` +
        `this code is probably older than the database. Refusing to migrate.`,
    );
  }
}

/** A migration's SQL failed just now; its row stays in `_prisma_migrations` as failed, with the error in `logs`. */
export class MigrationApplyError extends MigrateError {
  override readonly name = 'MigrationApplyError';

  constructor(
    readonly migrationName: string,
    readonly sqlState: string | undefined,
    readonly databaseMessage: string,
    readonly rolledBack: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      'MIGRATION_APPLY_FAILED',
      `Migration "${migrationName}" failed to apply: ${databaseMessage}` +
        (sqlState ? ` (SQLSTATE ${sqlState})` : '') +
        (rolledBack
          ? '. Its transaction was rolled back, so the database is unchanged by it.'
          : '. It ran outside a transaction, so part of it may have been applied.') +
        ' It is recorded as failed in _prisma_migrations and blocks further migrations until resolved.',
      options,
    );
  }
}

/** Another process (our runner or `prisma migrate deploy`) held Prisma Migrate's advisory lock for too long. */
export class MigrationLockTimeoutError extends MigrateError {
  override readonly name = 'MigrationLockTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(
      'LOCK_TIMEOUT',
      `Timed out after ${timeoutMs} ms waiting for Prisma Migrate's advisory lock; another migration ` +
        `run (or a session that leaked the lock) holds it.`,
    );
  }
}
