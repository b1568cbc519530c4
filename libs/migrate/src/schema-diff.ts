import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { MigrateError } from './errors.js';
import type { MigrateLogger } from './logger.js';
import { LOCKFILE_CONTENT, LOCKFILE_NAME, MIGRATION_SCRIPT_FILE, type LocalMigration } from './migrations-dir.js';
import { ShadowDatabaseAdapterFactory } from './shadow-adapter-factory.js';
import { enginePanicMessage, loadSchemaEngine, type SchemaEngineBindings } from './wasm-engine.js';

export interface SchemaFile {
  path: string;
  content: string;
}

export interface SchemaDiffInput {
  /** Server on which the temporary shadow database is created (needs CREATEDB). */
  connectionString: string;
  migrationsDir: string;
  lockfile: string | null;
  migrations: readonly LocalMigration[];
  schemaFiles: readonly SchemaFile[];
  logger: MigrateLogger;
}

/** The engine's exit code when the two schemas differ (what `prisma migrate diff --exit-code` reports). */
const EXIT_CODE_CHANGES = 2;
const NO_FILTERS = { externalTables: [], externalEnums: [] };

/**
 * SQL taking a database from the state the existing migrations produce to the Prisma schema, or
 * null when there is no difference. The engine replays the migrations in a shadow database it
 * obtains from our adapter factory, as `prisma migrate dev` does, so the SQL is what Prisma would
 * generate.
 */
export async function diffMigrationsToSchema(input: SchemaDiffInput): Promise<string | null> {
  const bindings = await loadSchemaEngine();
  const factory = new ShadowDatabaseAdapterFactory(input.connectionString);
  const boundFactory = bindMigrationAwareSqlAdapterFactory(factory);
  let engine: SchemaEngine | undefined;
  try {
    engine = await bindings.SchemaEngine.new(
      { datamodels: input.schemaFiles.map((file): [string, string] => [file.path, file.content]) },
      (line: string) => forwardEngineLog(line, input.logger),
      boundFactory,
    );
    const result = await engine.diff({
      from: {
        tag: 'migrations',
        baseDir: input.migrationsDir,
        // The engine reads the provider from the lock file; a first migration has none yet.
        lockfile: { path: LOCKFILE_NAME, content: input.lockfile ?? LOCKFILE_CONTENT },
        shadowDbInitScript: '',
        migrationDirectories: input.migrations.map((migration) => ({
          path: migration.name,
          migrationFile: { path: MIGRATION_SCRIPT_FILE, content: { tag: 'ok', value: migration.script } },
        })),
      },
      to: { tag: 'schemaDatamodel', files: [...input.schemaFiles] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    });
    return result.exitCode === EXIT_CODE_CHANGES ? (result.stdout ?? '') : null;
  } catch (error) {
    throw engineError(error, boundFactory.errorRegistry);
  } finally {
    engine?.free();
    await factory.close();
  }
}

type SchemaEngine = Awaited<ReturnType<SchemaEngineBindings['SchemaEngine']['new']>>;

/** The engine logs JSON lines; only warnings and errors are worth an operator's attention. */
function forwardEngineLog(line: string, logger: MigrateLogger): void {
  try {
    const entry = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    if (entry.level === 'WARN' || entry.level === 'ERROR')
      logger.warn(`schema engine: ${entry.fields?.message ?? line}`);
  } catch {
    // Not JSON: nothing we know how to classify.
  }
}

/**
 * Engine errors carry a Rust span trace, and errors thrown by our adapter only as
 * "External error id#N": swap the id for the JS error it stands for, drop the trace.
 */
function engineError(
  error: unknown,
  registry: { consumeError(id: number): { error: unknown } | undefined },
): MigrateError {
  const panic = enginePanicMessage(error);
  if (panic !== undefined) {
    return new MigrateError(
      'SCHEMA_ENGINE_FAILED',
      `Prisma's schema engine panicked: ${panic}. Restart the process before using it again.`,
      { cause: error },
    );
  }
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw
    .split(/\n\s+0: /)[0]!
    .replace(/External error id#(\d+)/g, (match, id: string) => {
      const original = registry.consumeError(Number(id))?.error;
      return original instanceof Error ? original.message : match;
    })
    .trim();
  return new MigrateError('SCHEMA_ENGINE_FAILED', `Prisma's schema engine failed: ${message}`, { cause: error });
}
