// The committed migrations and prisma/schema.prisma agree, and `pnpm db:migrate` applies them
// with the same runner the control plane uses at boot.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMigration } from '@postern/migrate';
import { ADMIN_PG_URL, REPO_ROOT, createTestDatabase, queryDatabase, type TestDatabase } from '@postern/testing';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('postern_mig');
});
afterAll(async () => {
  await database?.drop();
});

describe('migrations', () => {
  test('schema.prisma has no change that lacks a migration (run `pnpm db:migration:new <name>`)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'postern-migrations-'));
    try {
      cpSync(join(REPO_ROOT, 'prisma/migrations'), copy, { recursive: true });
      const result = await createMigration({
        schemaPath: join(REPO_ROOT, 'prisma/schema.prisma'),
        migrationsDir: copy,
        name: 'drift_check',
        connectionString: ADMIN_PG_URL,
      });
      expect(result.created ? result.sql : null).toBeNull();
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test('`pnpm db:migrate` applies every migration, and a second run applies nothing', async () => {
    const run = () =>
      execFileSync(process.execPath, [join(REPO_ROOT, 'apps/control-plane/dist/cli/migrate.js')], {
        env: { PATH: process.env['PATH'] ?? '', POSTERN_DATABASE_URL: database.url },
        encoding: 'utf8',
      });
    expect(run()).toMatch(/migrations applied/);
    expect(run()).toMatch(/database schema up to date/);
    const expected = readdirSync(join(REPO_ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((d) =>
      d.isDirectory(),
    );
    const rows = await queryDatabase(
      database.url,
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL',
    );
    expect(rows).toHaveLength(expected.length);
  });
});
