import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { quoteIdentifier } from './connection.js';
import { MigrateError } from './errors.js';

/**
 * The driver-adapter factory we hand to Prisma's WebAssembly schema engine. It reuses
 * `@prisma/adapter-pg` for queries and transactions but replaces three things that do not work
 * for the schema engine in adapter-pg 7.10.1:
 *
 * - its `connectToShadowDb()` builds the shadow pool as `{ connectionString, database }`, and
 *   node-postgres lets the connection string win, so the "shadow" would be the main database;
 *   here the shadow database name goes into the URL itself;
 * - its `executeScript()` splits scripts on every `;` (breaking function bodies and string
 *   literals); here a script is sent whole, as one simple-protocol query, as Prisma's native
 *   engine does when it replays migrations;
 * - it rejects result columns of PostgreSQL's internal `"char"` type (OID 18), which the engine's
 *   catalog queries return (`relkind`, `contype`, ...); our pool's clients relabel them as text,
 *   which is how the native engine reads them.
 */

const CHAR_OID = 18;
const TEXT_OID = 25;

export class ShadowDatabaseAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';

  private readonly pools = new Set<pg.Pool>();
  private readonly shadowDatabases = new Set<string>();

  /** `connectionString` must be a URL: the shadow database is addressed by replacing its path. */
  constructor(private readonly connectionString: string) {
    if (!URL.canParse(connectionString)) {
      throw new MigrateError('INVALID_DATABASE_URL', 'Creating a migration needs the database as a postgresql:// URL.');
    }
  }

  async connect(): Promise<SqlDriverAdapter> {
    const pool = this.openPool(this.connectionString);
    return wrapAdapter(await new PrismaPg(pool).connect(), pool, () => this.closePool(pool));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    // The same naming as Prisma's, so an operator recognises leftovers should a process die mid-way.
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await this.adminQuery(`CREATE DATABASE ${quoteIdentifier(database)}`);
    this.shadowDatabases.add(database);

    const url = new URL(this.connectionString);
    url.pathname = `/${encodeURIComponent(database)}`;
    const pool = this.openPool(url.toString());
    return wrapAdapter(await new PrismaPg(pool).connect(), pool, async () => {
      await this.closePool(pool);
      await this.dropShadowDatabase(database);
    });
  }

  /** Releases everything, including shadow databases the engine did not dispose of (e.g. after an error). */
  async close(): Promise<void> {
    await Promise.all([...this.pools].map((pool) => this.closePool(pool)));
    for (const database of [...this.shadowDatabases]) await this.dropShadowDatabase(database);
  }

  private openPool(connectionString: string): pg.Pool {
    const pool = new pg.Pool({ connectionString });
    // 'connect' fires for each new client before the pool hands it out.
    pool.on('connect', relabelCharColumnsOf);
    pool.on('error', () => undefined); // idle-client errors surface on the next query instead
    this.pools.add(pool);
    return pool;
  }

  private async closePool(pool: pg.Pool): Promise<void> {
    if (!this.pools.delete(pool)) return;
    await pool.end().catch(() => undefined);
  }

  private async dropShadowDatabase(database: string): Promise<void> {
    if (!this.shadowDatabases.delete(database)) return;
    // WITH (FORCE) (PostgreSQL 13+) so a connection the engine left open cannot keep it alive.
    await this.adminQuery(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
  }

  /** CREATE/DROP DATABASE cannot run in a transaction or on the database being dropped: use a fresh session on the main database. */
  private async adminQuery(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function wrapAdapter(inner: SqlDriverAdapter, pool: pg.Pool, release: () => Promise<void>): SqlDriverAdapter {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query) => inner.queryRaw(query),
    executeRaw: (query) => inner.executeRaw(query),
    startTransaction: (isolationLevel) => inner.startTransaction(isolationLevel),
    getConnectionInfo: () => inner.getConnectionInfo?.() ?? { supportsRelationJoins: true },
    executeScript: async (script) => {
      try {
        await pool.query(script);
      } catch (error) {
        throw toDriverAdapterError(error);
      }
    },
    dispose: async () => {
      await inner.dispose();
      await release();
    },
  };
}

/** Hands PostgreSQL errors to the engine the way adapter-pg does, so its messages name the failing statement's error. */
function toDriverAdapterError(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code ?? 'N/A',
    severity: error.severity ?? 'N/A',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}

type QueryResults = pg.QueryResult | pg.QueryResult[];

function relabelCharColumns(results: QueryResults): QueryResults {
  for (const result of Array.isArray(results) ? results : [results]) {
    for (const field of result?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return results;
}

/**
 * Post-processes every result of this client. Values of "char" are already plain strings (pg does
 * not parse OID 18); only the column's type label changes. pg's query() has a dozen overloads
 * (callback, promise, submittable): the wrapper handles the callback and promise forms and passes
 * anything else through.
 */
function relabelCharColumnsOf(client: pg.ClientBase): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const relabellingQuery = (...args: unknown[]): unknown => {
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as (error: Error | null, results?: QueryResults) => void;
      args[args.length - 1] = (error: Error | null, results?: QueryResults) =>
        callback(error, error || !results ? results : relabelCharColumns(results));
      return query(...args);
    }
    const returned = query(...args);
    return returned instanceof Promise
      ? returned.then((results: QueryResults) => relabelCharColumns(results))
      : returned;
  };
  Object.assign(client, { query: relabellingQuery });
}
