import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyMigrations, createMigration, migrationStatus } from './index.js';
import {
  createScratchDatabase,
  createScratchDirectory,
  migrationRows,
  TEST_SCHEMA,
  type ScratchDatabase,
  type ScratchDirectory,
} from './test-support/scratch.js';

// One scenario in steps: each test builds on the state the previous one left.
describe('createMigration + applyMigrations (Prisma wasm schema engine, real PostgreSQL)', () => {
  let db: ScratchDatabase;
  let dir: ScratchDirectory;
  let schemaPath: string;
  let firstMigration: string;

  beforeAll(async () => {
    db = await createScratchDatabase('create');
    dir = await createScratchDirectory();
    schemaPath = join(dir.path, '..', 'schema.prisma');
    await writeFile(schemaPath, TEST_SCHEMA);
  });

  afterAll(async () => {
    await db?.drop();
    await dir?.remove();
  });

  test('create from an empty migrations directory writes the CREATE statements and the lock file', async () => {
    const shadowsNow = async () =>
      (await db.query(`SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`)).map((row) =>
        String((row as { datname: string }).datname),
      );
    const before = new Set(await shadowsNow());
    const result = await createMigration({
      schemaPath,
      migrationsDir: dir.path,
      name: 'Init',
      connectionString: db.url,
    });

    if (!result.created) throw new Error('expected a migration');
    firstMigration = result.migrationName;
    expect(firstMigration).toMatch(/^\d{14}_init$/);
    const sql = await readFile(join(dir.path, firstMigration, 'migration.sql'), 'utf8');
    expect(sql).toBe(result.sql);
    expect(sql).toContain(`CREATE TYPE "Role" AS ENUM ('ADMIN', 'MEMBER');`);
    expect(sql).toContain('CREATE TABLE "Account"');
    expect(sql).toContain('CREATE TABLE "Session"');
    expect(sql).toContain('CREATE UNIQUE INDEX "Account_email_key"');
    expect(sql).toContain('FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE');
    await expect(readFile(join(dir.path, 'migration_lock.toml'), 'utf8')).resolves.toContain('provider = "postgresql"');
    // The shadow database the engine used is gone. Other suites running at the same time on this
    // server (the control plane's drift test) may hold shadow databases of their own for a moment:
    // what matters is that none created since `before` stays.
    let left: string[] = [];
    for (let i = 0; i < 100; i++) {
      left = (await shadowsNow()).filter((name) => !before.has(name));
      if (left.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(left).toEqual([]);
  });

  test('status before apply reports the migration as pending', async () => {
    await expect(migrationStatus({ connectionString: db.url, migrationsDir: dir.path })).resolves.toEqual({
      pending: [firstMigration],
      applied: [],
      failed: [],
      edited: [],
      missingFromDirectory: [],
    });
  });

  test('apply creates the tables and records the migration like Prisma', async () => {
    const before = new Date();
    await expect(applyMigrations({ connectionString: db.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: [firstMigration],
    });

    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((row) => row.table_name)).toEqual(['Account', 'Session', '_prisma_migrations']);

    const bytes = await readFile(join(dir.path, firstMigration, 'migration.sql'));
    const [row, ...others] = await migrationRows(db);
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      migration_name: firstMigration,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row?.started_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(row?.finished_at?.getTime()).toBeGreaterThanOrEqual(row?.started_at.getTime() ?? Infinity);
  });

  test('the table has exactly the columns and types of Prisma Migrate', async () => {
    const columns = await db.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        character_maximum_length: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        character_maximum_length: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        character_maximum_length: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'logs',
        data_type: 'text',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);
  });

  test('a second apply applies nothing', async () => {
    await expect(applyMigrations({ connectionString: db.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: [],
    });
    expect(await migrationRows(db)).toHaveLength(1);
  });

  test('adding a column creates a second migration with just the ALTER, which applies', async () => {
    await writeFile(
      schemaPath,
      TEST_SCHEMA.replace('  email    String    @unique\n', '  email    String    @unique\n  name     String?\n'),
    );

    const result = await createMigration({
      schemaPath,
      migrationsDir: dir.path,
      name: 'add account name',
      connectionString: db.url,
    });

    if (!result.created) throw new Error('expected a migration');
    expect(result.migrationName > firstMigration).toBe(true);
    expect(result.migrationName).toMatch(/_add_account_name$/);
    expect(result.sql.trim()).toBe('-- AlterTable\nALTER TABLE "Account" ADD COLUMN     "name" TEXT;');

    await expect(applyMigrations({ connectionString: db.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: [result.migrationName],
    });
    const columns = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'Account' AND column_name = 'name'`,
    );
    expect(columns).toHaveLength(1);
    await expect(migrationStatus({ connectionString: db.url, migrationsDir: dir.path })).resolves.toMatchObject({
      pending: [],
      applied: [firstMigration, result.migrationName],
    });
  });

  test('without schema changes nothing is written', async () => {
    const before = await readdir(dir.path);
    await expect(
      createMigration({ schemaPath, migrationsDir: dir.path, name: 'nothing', connectionString: db.url }),
    ).resolves.toEqual({ created: false });
    expect(await readdir(dir.path)).toEqual(before);
  });

  test('migrations go into the schema named by a Prisma-style ?schema= parameter', async () => {
    const url = new URL(db.url);
    url.searchParams.set('schema', 'tenant_a');
    await expect(applyMigrations({ connectionString: url.toString(), migrationsDir: dir.path })).resolves.toMatchObject(
      {
        applied: expect.arrayContaining([firstMigration]),
      },
    );
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tenant_a' ORDER BY table_name`,
    );
    expect(tables.map((row) => row.table_name)).toEqual(['Account', 'Session', '_prisma_migrations']);
    expect(await migrationRows(db, 'tenant_a')).toHaveLength(2);
  });
});
