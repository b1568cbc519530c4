import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Test fixtures: a fresh PostgreSQL database per test file (so files can run in parallel) and
 * temporary migrations directories. The server is the machine's PostgreSQL with trust auth unless
 * MIGRATE_TEST_ADMIN_URL points elsewhere.
 */
const ADMIN_URL = process.env['MIGRATE_TEST_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const name = `migrate_scratch_${label}_${process.pid}_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface ScratchDirectory {
  readonly path: string;
  /** Writes `<path>/<name>/migration.sql` and the lock file; returns the migration.sql path. */
  addMigration(name: string, sql: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createScratchDirectory(): Promise<ScratchDirectory> {
  const root = await mkdtemp(join(tmpdir(), 'postern-migrate-'));
  const path = join(root, 'migrations');
  return {
    path,
    async addMigration(name, sql) {
      await mkdir(join(path, name), { recursive: true });
      await writeFile(join(path, 'migration_lock.toml'), 'provider = "postgresql"\n');
      const file = join(path, name, 'migration.sql');
      await writeFile(file, sql);
      return file;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

export function migrationRows(db: ScratchDatabase, schema = 'public'): Promise<MigrationRow[]> {
  return db.query<MigrationRow>(`SELECT * FROM "${schema}"._prisma_migrations ORDER BY started_at`);
}

/** Two models, an enum and a relation: enough to exercise the schema engine's CREATE TYPE/TABLE/INDEX/FK output. */
export const TEST_SCHEMA = `generator client {
  provider = "prisma-client"
  output   = "./generated"
}

datasource db {
  provider = "postgresql"
}

enum Role {
  ADMIN
  MEMBER
}

model Account {
  id       Int       @id @default(autoincrement())
  email    String    @unique
  role     Role      @default(MEMBER)
  sessions Session[]
}

model Session {
  id        String   @id
  account   Account  @relation(fields: [accountId], references: [id], onDelete: Cascade)
  accountId Int
  createdAt DateTime @default(now())
}
`;
