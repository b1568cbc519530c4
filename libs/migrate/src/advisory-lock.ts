import type pg from 'pg';
import { MigrationLockTimeoutError } from './errors.js';

/**
 * The key Prisma Migrate locks before touching `_prisma_migrations` (prisma-engines,
 * sql-schema-connector PostgreSQL flavour: `SELECT pg_advisory_lock(72707369)`). Taking the same
 * session-level lock makes our runner and an operator's `prisma migrate deploy` exclude each other.
 * Advisory locks are per database, so runs against different databases never wait on each other.
 */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Runs `fn` while `client`'s session holds the lock, waiting at most `timeoutMs` for it (0 waits
 * forever). The lock is released in `finally`; if the connection is already broken the server has
 * released it with the session.
 */
export async function withMigrationLock<T>(client: pg.ClientBase, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  try {
    // SET LOCAL confines lock_timeout to the lock request: the migrations themselves must not
    // inherit it. The session-level advisory lock outlives this transaction.
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
    await client.query('SELECT pg_advisory_lock($1::bigint)', [PRISMA_MIGRATE_LOCK_KEY]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) throw new MigrationLockTimeoutError(timeoutMs);
    throw error;
  }

  try {
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [PRISMA_MIGRATE_LOCK_KEY]).catch(() => undefined);
  }
}
