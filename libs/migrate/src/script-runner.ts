import type pg from 'pg';
import { MigrationApplyError } from './errors.js';
import type { LocalMigration } from './migrations-dir.js';
import { recordMigrationFailed, recordMigrationFinished, recordMigrationStarted } from './migrations-table.js';

/**
 * Applies one migration on the locked session and records it the way Prisma does.
 *
 * Prisma sends the whole script as one simple-protocol query. We do the same, but inside an
 * explicit transaction that also contains the "finished" update, so a failure leaves the schema
 * untouched and the record consistent with it. Statements PostgreSQL refuses inside a transaction
 * block (CREATE INDEX CONCURRENTLY, ALTER SYSTEM, ...) make the transaction fail with 25001 before
 * anything commits; such a migration is then re-run the way Prisma runs it, without our transaction.
 */

const ACTIVE_SQL_TRANSACTION = '25001';

export type RunMode = 'transaction' | 'no-transaction';

export async function runMigration(
  client: pg.ClientBase,
  schema: string,
  migration: LocalMigration,
  onNonTransactional: () => void,
): Promise<RunMode> {
  const id = await recordMigrationStarted(client, schema, migration.name, migration.checksum);

  try {
    await client.query('BEGIN');
    await client.query(migration.script);
    await recordMigrationFinished(client, schema, id);
    await client.query('COMMIT');
    return 'transaction';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (sqlState(error) !== ACTIVE_SQL_TRANSACTION) await fail(client, schema, id, migration, error, true);
  }

  onNonTransactional();
  try {
    await client.query(migration.script);
  } catch (error) {
    await fail(client, schema, id, migration, error, false);
  }
  await recordMigrationFinished(client, schema, id);
  return 'no-transaction';
}

async function fail(
  client: pg.ClientBase,
  schema: string,
  id: string,
  migration: LocalMigration,
  error: unknown,
  rolledBack: boolean,
): Promise<never> {
  const message = describeDatabaseError(error, migration.script);
  // If even this update fails (connection lost) the row still reads as failed: finished_at stays NULL.
  await recordMigrationFailed(client, schema, id, prismaStyleLogs(migration.name, sqlState(error), message)).catch(
    () => undefined,
  );
  throw new MigrationApplyError(migration.name, sqlState(error), message, rolledBack, { cause: error });
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The server message plus detail, hint and the line the error points at. */
function describeDatabaseError(error: unknown, script: string): string {
  if (!(error instanceof Error)) return String(error);
  const details = error as Error & { detail?: string; hint?: string; position?: string };
  let text = error.message;
  const position = Number(details.position);
  if (Number.isInteger(position) && position > 0) {
    text += ` (line ${script.slice(0, position - 1).split('\n').length} of migration.sql)`;
  }
  if (details.detail) text += `\nDETAIL: ${details.detail}`;
  if (details.hint) text += `\nHINT: ${details.hint}`;
  return text;
}

/** The layout of the logs Prisma's engine stores for a failed migration (its P3018 error). */
function prismaStyleLogs(name: string, code: string | undefined, message: string): string {
  return `Migration name: ${name}\n\nDatabase error code: ${code ?? 'N/A'}\n\nDatabase error:\nERROR: ${message}\n`;
}
