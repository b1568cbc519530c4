import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { writeFile } from 'node:fs/promises';
import { applyMigrations, migrationStatus } from './index.js';
import { readMigrationsDirectory } from './migrations-dir.js';
import { ShadowDatabaseAdapterFactory } from './shadow-adapter-factory.js';
import {
  createScratchDatabase,
  createScratchDirectory,
  type ScratchDatabase,
  type ScratchDirectory,
} from './test-support/scratch.js';
import { loadSchemaEngine } from './wasm-engine.js';

/**
 * The operator's `prisma migrate deploy` / `migrate status` must agree with us. The native engine
 * cannot be downloaded here, but the WebAssembly engine is built from the same Rust commands
 * (apply_migrations, diagnose_migration_history), so it stands in for it: Prisma must accept the
 * history we write, and we must accept the history Prisma writes.
 */
describe("agreement with Prisma's own migration engine", () => {
  let ours: ScratchDatabase;
  let theirs: ScratchDatabase;
  let dir: ScratchDirectory;
  let firstFile: string;

  beforeAll(async () => {
    [ours, theirs] = await Promise.all([createScratchDatabase('agree_ours'), createScratchDatabase('agree_prisma')]);
    dir = await createScratchDirectory();
    firstFile = await dir.addMigration(
      '20250101000000_init',
      'CREATE TABLE item (id SERIAL PRIMARY KEY, label TEXT NOT NULL);\n' +
        // A body with semicolons and a literal: replayed as one script, as Prisma's native engine does.
        "CREATE FUNCTION item_label(i item) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'item; ' || i.label; END; $$;\n",
    );
    await dir.addMigration('20250101000001_more', 'ALTER TABLE item ADD COLUMN price INT;\n');
  });

  afterAll(async () => {
    await Promise.all([ours?.drop(), theirs?.drop()]);
    await dir?.remove();
  });

  test('Prisma sees the history we applied as complete and unedited, and applies nothing', async () => {
    await applyMigrations({ connectionString: ours.url, migrationsDir: dir.path });

    await withPrismaEngine(ours.url, dir.path, async (engine, migrationsList) => {
      await expect(
        engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }),
      ).resolves.toEqual({
        editedMigrationNames: [],
        failedMigrationNames: [],
        hasMigrationsTable: true,
        history: null,
      });
      await expect(engine.applyMigrations({ migrationsList, filters: NO_FILTERS })).resolves.toEqual({
        appliedMigrationNames: [],
      });
    });
  });

  test('we see the history Prisma applied as complete and unedited, and apply nothing', async () => {
    await withPrismaEngine(theirs.url, dir.path, async (engine, migrationsList) => {
      await expect(engine.applyMigrations({ migrationsList, filters: NO_FILTERS })).resolves.toEqual({
        appliedMigrationNames: ['20250101000000_init', '20250101000001_more'],
      });
    });

    await expect(migrationStatus({ connectionString: theirs.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: ['20250101000000_init', '20250101000001_more'],
      pending: [],
      failed: [],
      edited: [],
      missingFromDirectory: [],
    });
    await expect(applyMigrations({ connectionString: theirs.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: [],
    });
  });

  test('both flag the same edited migration', async () => {
    await writeFile(firstFile, 'CREATE TABLE item (id SERIAL PRIMARY KEY);\n');

    await withPrismaEngine(ours.url, dir.path, async (engine, migrationsList) => {
      const diagnosis = await engine.diagnoseMigrationHistory({
        migrationsList,
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      });
      expect(diagnosis.editedMigrationNames).toEqual(['20250101000000_init']);
    });
    await expect(migrationStatus({ connectionString: ours.url, migrationsDir: dir.path })).resolves.toMatchObject({
      edited: ['20250101000000_init'],
    });
  });
});

const NO_FILTERS = { externalTables: [], externalEnums: [] };

type Bindings = Awaited<ReturnType<typeof loadSchemaEngine>>;
type Engine = Awaited<ReturnType<Bindings['SchemaEngine']['new']>>;
type MigrationList = Parameters<Engine['applyMigrations']>[0]['migrationsList'];

async function withPrismaEngine(
  url: string,
  migrationsDir: string,
  use: (engine: Engine, list: MigrationList) => Promise<void>,
): Promise<void> {
  const { SchemaEngine } = await loadSchemaEngine();
  const factory = new ShadowDatabaseAdapterFactory(url);
  const engine = await SchemaEngine.new(
    { datamodels: undefined },
    () => undefined,
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    const directory = await readMigrationsDirectory(migrationsDir);
    await use(engine, {
      baseDir: directory.path,
      lockfile: { path: 'migration_lock.toml', content: directory.lockfile },
      shadowDbInitScript: '',
      migrationDirectories: directory.migrations.map((migration) => ({
        path: migration.name,
        migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: migration.script } },
      })),
    });
  } finally {
    engine.free();
    await factory.close();
  }
}
