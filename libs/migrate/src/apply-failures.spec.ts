import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import {
  applyMigrations,
  MigrationApplyError,
  MigrationEditedError,
  MigrationFailedPreviouslyError,
  MigrationNotInDirectoryError,
  migrationStatus,
  type MigrateLogger,
} from './index.js';
import {
  createScratchDatabase,
  createScratchDirectory,
  migrationRows,
  type ScratchDatabase,
  type ScratchDirectory,
} from './test-support/scratch.js';

// One history in steps: each test builds on the state the previous one left.
describe('applyMigrations: refusals, failures and recovery', () => {
  let db: ScratchDatabase;
  let dir: ScratchDirectory;
  let firstFile: string;
  let originalFirst: string;
  const apply = (logger?: MigrateLogger) =>
    applyMigrations({ connectionString: db.url, migrationsDir: dir.path, logger });

  beforeAll(async () => {
    db = await createScratchDatabase('failures');
    dir = await createScratchDirectory();
    originalFirst = 'CREATE TABLE widget (id INT PRIMARY KEY);\n';
    firstFile = await dir.addMigration('20250101000000_widgets', originalFirst);
    await dir.addMigration('20250101000001_gadgets', 'CREATE TABLE gadget (id INT PRIMARY KEY);\n');
    await expect(apply()).resolves.toEqual({ applied: ['20250101000000_widgets', '20250101000001_gadgets'] });
  });

  afterAll(async () => {
    await db?.drop();
    await dir?.remove();
  });

  test('an applied migration edited afterwards is refused, naming it', async () => {
    await writeFile(firstFile, originalFirst + 'ALTER TABLE widget ADD COLUMN colour TEXT;\n');

    const run = apply();
    await expect(run).rejects.toBeInstanceOf(MigrationEditedError);
    await expect(run).rejects.toMatchObject({ code: 'MIGRATION_EDITED', migrationName: '20250101000000_widgets' });
    await expect(run).rejects.toThrow(/"20250101000000_widgets" was modified after it was applied/);
    await expect(migrationStatus({ connectionString: db.url, migrationsDir: dir.path })).resolves.toMatchObject({
      edited: ['20250101000000_widgets'],
    });
  });

  test('line-ending conversions are not edits (as in Prisma)', async () => {
    await writeFile(firstFile, originalFirst.replaceAll('\n', '\r\n'));
    await expect(apply()).resolves.toEqual({ applied: [] });
    await writeFile(firstFile, originalFirst);
  });

  test('a failing migration is rolled back, recorded as failed, and stops the run', async () => {
    await dir.addMigration(
      '20250101000002_broken',
      'CREATE TABLE half_done (id INT);\nINSERT INTO no_such_table VALUES (1);\n',
    );
    await dir.addMigration('20250101000003_after', 'CREATE TABLE after_broken (id INT);\n');

    const run = apply();
    await expect(run).rejects.toBeInstanceOf(MigrationApplyError);
    await expect(run).rejects.toMatchObject({
      code: 'MIGRATION_APPLY_FAILED',
      migrationName: '20250101000002_broken',
      sqlState: '42P01',
      rolledBack: true,
    });

    // The transaction took the first statement with it, and the next migration never ran.
    const tables = await db.query(`SELECT tablename FROM pg_tables WHERE tablename IN ('half_done', 'after_broken')`);
    expect(tables).toEqual([]);
    const failedRow = (await migrationRows(db)).find((row) => row.migration_name === '20250101000002_broken');
    expect(failedRow).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(failedRow?.logs).toContain('Migration name: 20250101000002_broken');
    expect(failedRow?.logs).toContain('Database error code: 42P01');
    expect(failedRow?.logs).toContain('relation "no_such_table" does not exist');
  });

  test('the next call refuses clearly because of the failed migration', async () => {
    const run = apply();
    await expect(run).rejects.toBeInstanceOf(MigrationFailedPreviouslyError);
    await expect(run).rejects.toMatchObject({
      code: 'MIGRATION_FAILED_PREVIOUSLY',
      migrationName: '20250101000002_broken',
    });
    await expect(run).rejects.toThrow(/"20250101000002_broken" failed in an earlier attempt/);
    await expect(migrationStatus({ connectionString: db.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: ['20250101000000_widgets', '20250101000001_gadgets'],
      pending: ['20250101000003_after'],
      failed: ['20250101000002_broken'],
      edited: [],
      missingFromDirectory: [],
    });
  });

  test('once marked rolled back (prisma migrate resolve --rolled-back) and fixed, it applies again', async () => {
    await db.query(
      `UPDATE _prisma_migrations SET rolled_back_at = now()
        WHERE migration_name = '20250101000002_broken' AND finished_at IS NULL`,
    );
    await dir.addMigration('20250101000002_broken', 'CREATE TABLE half_done (id INT);\n');

    await expect(apply()).resolves.toEqual({ applied: ['20250101000002_broken', '20250101000003_after'] });
    const rows = (await migrationRows(db)).filter((row) => row.migration_name === '20250101000002_broken');
    expect(rows.map((row) => [row.rolled_back_at !== null, row.finished_at !== null])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  test('a statement PostgreSQL refuses inside a transaction block runs without one, with a warning', async () => {
    await dir.addMigration(
      '20250101000004_concurrent_index',
      'CREATE INDEX CONCURRENTLY widget_id_idx ON widget (id);\n',
    );
    const warn = jest.fn<(message: string) => void>();

    await expect(apply({ info: () => undefined, warn })).resolves.toEqual({
      applied: ['20250101000004_concurrent_index'],
    });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('20250101000004_concurrent_index'));
    await expect(db.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'widget_id_idx'`)).resolves.toHaveLength(1);
  });

  test('a database with a migration the directory lacks is refused, naming it', async () => {
    const older = await createScratchDirectory();
    try {
      await older.addMigration('20250101000000_widgets', originalFirst);
      const run = applyMigrations({ connectionString: db.url, migrationsDir: older.path });
      await expect(run).rejects.toBeInstanceOf(MigrationNotInDirectoryError);
      await expect(run).rejects.toMatchObject({
        code: 'MIGRATION_NOT_IN_DIRECTORY',
        migrationName: '20250101000001_gadgets',
      });
    } finally {
      await older.remove();
    }
    expect(await readFile(firstFile, 'utf8')).toBe(originalFirst);
  });

  test('bookkeeping survives a migration that changes the search_path', async () => {
    await dir.addMigration(
      '20250101000005_other_schema',
      'CREATE SCHEMA audit;\nSET search_path TO audit;\nCREATE TABLE entry (id INT);\n',
    );
    await dir.addMigration('20250101000006_next', 'SELECT 1;\n');

    await expect(apply()).resolves.toEqual({ applied: ['20250101000005_other_schema', '20250101000006_next'] });
    // Both rows are in public._prisma_migrations although the session's search_path had moved to audit.
    const names = (await migrationRows(db)).map((row) => row.migration_name);
    expect(names.slice(-2)).toEqual(['20250101000005_other_schema', '20250101000006_next']);
    await expect(db.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'audit'`)).resolves.toHaveLength(1);
    await expect(
      db.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'audit' AND tablename = '_prisma_migrations'`),
    ).resolves.toEqual([]);
  });
});
