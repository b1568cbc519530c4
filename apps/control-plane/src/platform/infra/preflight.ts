import pg from 'pg';
import { Redis } from 'ioredis';
import { redactUrl } from '@postern/logging';
import type { ControlPlaneConfig } from '../config/config.js';

export interface DependencyProblem {
  dependency: 'postgresql' | 'redis';
  address: string;
  variable: string;
  message: string;
}

/**
 * Before anything else starts: can we reach PostgreSQL and Redis? A failure names the service,
 * where we looked (password hidden) and the variable that points elsewhere.
 */
export async function checkDependencies(config: ControlPlaneConfig): Promise<DependencyProblem[]> {
  const [database, redis] = await Promise.all([checkPostgres(config.database.url), checkRedis(config.redis.url)]);
  return [database, redis].filter((p): p is DependencyProblem => p !== null);
}

async function checkPostgres(url: string): Promise<DependencyProblem | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const reason = (error as Error).message;
    const hint = /does not exist/.test(reason) ? ' (create it, e.g. `createdb postern`)' : '';
    return {
      dependency: 'postgresql',
      address: redactUrl(url),
      variable: 'POSTERN_DATABASE_URL',
      message: `cannot reach PostgreSQL at ${redactUrl(url)}: ${reason}${hint}; set POSTERN_DATABASE_URL to point elsewhere`,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<DependencyProblem | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return {
      dependency: 'redis',
      address: redactUrl(url),
      variable: 'POSTERN_REDIS_URL',
      message: `cannot reach Redis at ${redactUrl(url)}: ${(error as Error).message}; set POSTERN_REDIS_URL to point elsewhere`,
    };
  } finally {
    client.disconnect();
  }
}
