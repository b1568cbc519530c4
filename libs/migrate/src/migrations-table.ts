import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { quoteIdentifier } from './connection.js';

/**
 * Prisma Migrate's history table, with the DDL and row life cycle of prisma-engines'
 * PostgreSQL migration persistence: a row is inserted when a migration starts, gets
 * `finished_at` and `applied_steps_count = 1` when it succeeds, and keeps `finished_at` NULL with
 * the error in `logs` when it fails. `prisma migrate resolve --rolled-back` sets `rolled_back_at`,
 * after which the row is ignored.
 */

export const MIGRATIONS_TABLE = '_prisma_migrations';

export interface MigrationRecord {
  readonly id: string;
  readonly checksum: string;
  readonly finishedAt: Date | null;
  readonly migrationName: string;
  readonly logs: string | null;
  readonly rolledBackAt: Date | null;
  readonly startedAt: Date;
  readonly appliedStepsCount: number;
}

/**
 * The table in the target schema, always schema-qualified: a migration may change the session's
 * search_path, and the bookkeeping after it must still hit the right table.
 */
function table(schema: string): string {
  return `${quoteIdentifier(schema)}.${MIGRATIONS_TABLE}`;
}

const createTable = (schema: string) => `CREATE TABLE ${table(schema)} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export async function migrationsTableExists(client: pg.ClientBase, schema: string): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
     ) AS "exists"`,
    [schema, MIGRATIONS_TABLE],
  );
  return rows[0]?.exists === true;
}

/** Creates the schema (if needed) and the table. Callers hold the migration lock, so check-then-create is race-free. */
export async function ensureMigrationsTable(client: pg.ClientBase, schema: string): Promise<void> {
  if (await migrationsTableExists(client, schema)) return;
  // IF NOT EXISTS alone would still demand CREATE on the database from a role that merely owns the schema.
  const { rows } = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  if (rows.length === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  await client.query(createTable(schema));
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** All rows, oldest first (Prisma orders by started_at too). */
export async function listMigrationRecords(client: pg.ClientBase, schema: string): Promise<MigrationRecord[]> {
  const { rows } = await client.query<MigrationRow>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM ${table(schema)} ORDER BY started_at ASC`,
  );
  return rows.map((row) => ({
    id: row.id,
    checksum: row.checksum,
    finishedAt: row.finished_at,
    migrationName: row.migration_name,
    logs: row.logs,
    rolledBackAt: row.rolled_back_at,
    startedAt: row.started_at,
    appliedStepsCount: row.applied_steps_count,
  }));
}

/** Inserts the "started" row outside the migration's transaction, so a crash mid-migration leaves a visible failed row. */
export async function recordMigrationStarted(
  client: pg.ClientBase,
  schema: string,
  migrationName: string,
  checksum: string,
): Promise<string> {
  const id = randomUUID();
  await client.query(`INSERT INTO ${table(schema)} (id, checksum, migration_name) VALUES ($1, $2, $3)`, [
    id,
    checksum,
    migrationName,
  ]);
  return id;
}

/**
 * Marks success. Runs inside the migration's transaction when there is one, so the schema change
 * and its record commit together; clock_timestamp() because now() would be the transaction's start.
 */
export async function recordMigrationFinished(client: pg.ClientBase, schema: string, id: string): Promise<void> {
  await client.query(
    `UPDATE ${table(schema)}
        SET finished_at = clock_timestamp(), applied_steps_count = applied_steps_count + 1
      WHERE id = $1`,
    [id],
  );
}

export async function recordMigrationFailed(
  client: pg.ClientBase,
  schema: string,
  id: string,
  logs: string,
): Promise<void> {
  await client.query(`UPDATE ${table(schema)} SET logs = $1 WHERE id = $2`, [logs, id]);
}
