import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { applyMigrations, MigrationLockTimeoutError, PRISMA_MIGRATE_LOCK_KEY } from './index.js';
import {
  createScratchDatabase,
  createScratchDirectory,
  migrationRows,
  type ScratchDatabase,
  type ScratchDirectory,
} from './test-support/scratch.js';

describe('applyMigrations under concurrency', () => {
  let db: ScratchDatabase;
  let dir: ScratchDirectory;

  beforeAll(async () => {
    db = await createScratchDatabase('concurrency');
    dir = await createScratchDirectory();
    // Plain CREATE TABLE (no IF NOT EXISTS) fails if run twice; the sleep keeps the first run inside
    // the lock long enough for the others to queue behind it.
    await dir.addMigration(
      '20250101000000_first',
      'CREATE TABLE first_table (id INT PRIMARY KEY);\nSELECT pg_sleep(0.3);\n',
    );
    await dir.addMigration('20250101000001_second', 'CREATE TABLE second_table (id INT PRIMARY KEY);\n');
    await dir.addMigration('20250101000002_third', 'ALTER TABLE first_table ADD COLUMN note TEXT;\n');
  });

  afterAll(async () => {
    await db?.drop();
    await dir?.remove();
  });

  test('concurrent calls on a fresh database apply each migration exactly once', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => applyMigrations({ connectionString: db.url, migrationsDir: dir.path })),
    );

    const all = ['20250101000000_first', '20250101000001_second', '20250101000002_third'];
    // Exactly one caller did the work; the others found nothing pending once they got the lock.
    expect(results.map((result) => result.applied).sort((a, b) => b.length - a.length)).toEqual([all, [], [], []]);
    const rows = await migrationRows(db);
    expect(rows.map((row) => row.migration_name)).toEqual(all);
    expect(rows.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(true);
  });

  test("a session holding Prisma Migrate's lock (as `prisma migrate deploy` would) makes applyMigrations wait", async () => {
    await dir.addMigration('20250101000003_fourth', 'CREATE TABLE fourth_table (id INT);\n');
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [PRISMA_MIGRATE_LOCK_KEY]);
      let settled = false;
      const run = applyMigrations({ connectionString: db.url, migrationsDir: dir.path }).finally(() => {
        settled = true;
      });

      await waitFor(async () => (await waitingLockRequests(db)) === 1);
      expect(settled).toBe(false);

      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [PRISMA_MIGRATE_LOCK_KEY]);
      await expect(run).resolves.toEqual({ applied: ['20250101000003_fourth'] });
    } finally {
      await holder.end();
    }
  });

  test('gives up with a typed error after lockTimeoutMs', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [PRISMA_MIGRATE_LOCK_KEY]);
      const run = applyMigrations({ connectionString: db.url, migrationsDir: dir.path, lockTimeoutMs: 200 });
      await expect(run).rejects.toBeInstanceOf(MigrationLockTimeoutError);
      await expect(run).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    } finally {
      await holder.end();
    }
    // The failed attempt left no lock behind.
    await expect(applyMigrations({ connectionString: db.url, migrationsDir: dir.path })).resolves.toEqual({
      applied: [],
    });
  });
});

/** Requests for the bigint advisory key that are queued (objsubid 1 marks the single-bigint form). */
async function waitingLockRequests(db: ScratchDatabase): Promise<number> {
  const rows = await db.query<{ count: string }>(
    `SELECT count(*) FROM pg_locks
      WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND NOT granted`,
    [PRISMA_MIGRATE_LOCK_KEY],
  );
  return Number(rows[0]?.count);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
