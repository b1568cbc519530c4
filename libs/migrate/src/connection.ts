import pg from 'pg';

/**
 * Prisma connection strings carry the target schema as `?schema=name` (default `public`), and
 * Prisma's engine sets `search_path` to exactly that schema. node-postgres does not know the
 * parameter, so we strip it and set the search path ourselves: migrations then land in, and
 * `_prisma_migrations` is looked up in, the same schema `prisma migrate deploy` would use.
 */
export interface ConnectionTarget {
  /** The connection string without Prisma-only parameters, for node-postgres. */
  readonly connectionString: string;
  readonly schema: string;
}

const DEFAULT_SCHEMA = 'public';

export function parseConnectionString(connectionString: string): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // Not a URL (e.g. a libpq keyword string): node-postgres gets it untouched.
    return { connectionString, schema: DEFAULT_SCHEMA };
  }
  const schema = url.searchParams.get('schema') || DEFAULT_SCHEMA;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

/** Opens one session whose search_path is the target schema only. */
export async function openSession(target: ConnectionTarget): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: target.connectionString });
  // An idle client that loses its server emits 'error'; without a listener that would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SELECT set_config('search_path', $1, false)`, [quoteIdentifier(target.schema)]);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
