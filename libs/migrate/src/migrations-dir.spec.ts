import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationsDirectoryError } from './errors.js';
import { LOCKFILE_CONTENT, readMigrationsDirectory, writeMigration } from './migrations-dir.js';
import { createScratchDirectory, type ScratchDirectory } from './test-support/scratch.js';

describe('migrations directory in Prisma layout', () => {
  let dir: ScratchDirectory;
  beforeEach(async () => {
    dir = await createScratchDirectory();
  });
  afterEach(() => dir.remove());

  test('lists folders in name order with their scripts and checksums', async () => {
    await dir.addMigration('20250102000000_b', 'B');
    await dir.addMigration('20250101000000_a', 'A');
    const read = await readMigrationsDirectory(dir.path);
    expect(read.migrations.map((migration) => [migration.name, migration.script])).toEqual([
      ['20250101000000_a', 'A'],
      ['20250102000000_b', 'B'],
    ]);
    expect(read.migrations[0]?.checksum).toBe('559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd');
  });

  test('refuses a folder without migration.sql, a lock file for another provider, and a missing directory', async () => {
    await dir.addMigration('20250101000000_a', 'A');
    await mkdir(join(dir.path, '20250102000000_empty'));
    await expect(readMigrationsDirectory(dir.path)).rejects.toThrow(
      /"20250102000000_empty" has no readable migration.sql/,
    );

    const other = await createScratchDirectory();
    try {
      await other.addMigration('20250101000000_a', 'A');
      await writeFile(join(other.path, 'migration_lock.toml'), 'provider = "mysql"\n');
      await expect(readMigrationsDirectory(other.path)).rejects.toBeInstanceOf(MigrationsDirectoryError);
    } finally {
      await other.remove();
    }

    await expect(readMigrationsDirectory(join(dir.path, 'nope'))).rejects.toBeInstanceOf(MigrationsDirectoryError);
    await expect(readMigrationsDirectory(join(dir.path, 'nope'), { allowMissing: true })).resolves.toMatchObject({
      migrations: [],
      lockfile: null,
    });
  });

  test('writes a migration and the lock file, never overwriting either', async () => {
    await writeMigration(dir.path, '20250101000000_a', 'SELECT 1;\n');
    expect(await readFile(join(dir.path, 'migration_lock.toml'), 'utf8')).toBe(LOCKFILE_CONTENT);
    await writeFile(join(dir.path, 'migration_lock.toml'), 'provider = "postgresql"\n');
    await writeMigration(dir.path, '20250102000000_b', 'SELECT 2;\n');
    expect(await readFile(join(dir.path, 'migration_lock.toml'), 'utf8')).toBe('provider = "postgresql"\n');
    await expect(writeMigration(dir.path, '20250101000000_a', 'SELECT 3;\n')).rejects.toThrow(/EEXIST/);
  });
});
