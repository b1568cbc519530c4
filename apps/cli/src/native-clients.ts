import type { Endpoint } from './gateway.js';
import { CliError } from './errors.js';

/** A minted credential, as the API returns it. */
export interface Minted {
  password: string;
  database: string;
  loginName: string;
  credential: { id: string; expiresAt: string };
}

/**
 * The environment a protocol's own tools read. The password travels in the environment only:
 * never on a command line (visible in `ps`) or in shell history.
 */
export function clientEnvironment(protocol: string, endpoint: Endpoint, minted: Minted): Record<string, string> {
  switch (protocol) {
    case 'postgres':
      return {
        PGHOST: endpoint.host,
        PGPORT: String(endpoint.port),
        PGUSER: minted.loginName,
        PGDATABASE: minted.database,
        PGPASSWORD: minted.password,
        PGSSLMODE: endpoint.tls,
        ...(endpoint.caFile ? { PGSSLROOTCERT: endpoint.caFile } : {}),
      };
    case 'mysql':
      return {
        MYSQL_HOST: endpoint.host,
        MYSQL_TCP_PORT: String(endpoint.port),
        MYSQL_PWD: minted.password,
        POSTERN_MYSQL_USER: minted.loginName,
        POSTERN_MYSQL_DATABASE: minted.database,
        ...(endpoint.caFile ? { POSTERN_MYSQL_SSL_CA: endpoint.caFile } : {}),
      };
    default:
      throw new CliError(`postern connect does not know ${protocol}'s client yet`);
  }
}

/** How to start a protocol's usual client with a credential in its environment (never in argv). */
export interface NativeClient {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Another client to start when `command` is not installed. */
  fallback?: NativeClient;
}

/**
 * The client to start: `psql` for PostgreSQL, `mariadb` for MySQL (else Oracle's `mysql`);
 * `extra` goes after ours.
 */
export function nativeClient(protocol: string, endpoint: Endpoint, minted: Minted, extra: string[]): NativeClient {
  const env = clientEnvironment(protocol, endpoint, minted);
  switch (protocol) {
    case 'postgres':
      return { command: 'psql', args: extra, env };
    case 'mysql':
      return {
        ...mariadbClient(endpoint, minted, extra, env),
        fallback: oracleMysqlClient(endpoint, minted, extra, env),
      };
    default:
      throw new CliError(`postern connect does not know ${protocol}'s client yet`);
  }
}

/**
 * MySQL clients take no user or database from the environment; these are not secrets, so they go
 * in argv. `--protocol=TCP` always: with host `localhost` a MySQL client would otherwise use the
 * local server's Unix socket — another server than Postern, which would get the credential.
 */
function mysqlTarget(endpoint: Endpoint, minted: Minted): string[] {
  return [
    '--protocol=TCP',
    `--host=${endpoint.host}`,
    `--port=${endpoint.port}`,
    `--user=${minted.loginName}`,
    `--database=${minted.database}`,
  ];
}

/** MariaDB's client answers Postern's request for the clear password by itself (over TLS). */
function mariadbClient(endpoint: Endpoint, minted: Minted, extra: string[], env: Record<string, string>): NativeClient {
  const tls =
    endpoint.tls === 'verify-full'
      ? ['--ssl', '--ssl-verify-server-cert', `--ssl-ca=${endpoint.caFile}`]
      : endpoint.tls === 'disable'
        ? ['--skip-ssl']
        : [];
  return { command: 'mariadb', args: [...mysqlTarget(endpoint, minted), ...tls, ...extra], env };
}

/**
 * Oracle's client (8.x) has `--ssl-mode` instead of `--ssl`, and sends a clear password only with
 * `--enable-cleartext-plugin`. A system with MariaDB's client has `mariadb`, so a `mysql` found
 * alone is taken to be Oracle's.
 */
function oracleMysqlClient(
  endpoint: Endpoint,
  minted: Minted,
  extra: string[],
  env: Record<string, string>,
): NativeClient {
  const tls =
    endpoint.tls === 'verify-full'
      ? ['--ssl-mode=VERIFY_IDENTITY', `--ssl-ca=${endpoint.caFile}`]
      : endpoint.tls === 'disable'
        ? ['--ssl-mode=DISABLED']
        : ['--ssl-mode=PREFERRED'];
  return {
    command: 'mysql',
    args: [...mysqlTarget(endpoint, minted), '--enable-cleartext-plugin', ...tls, ...extra],
    env,
  };
}

/** `export NAME='value'` lines (POSIX shells) or `set -x NAME 'value'` (fish). */
export function shellExports(env: Record<string, string>, shell: 'sh' | 'fish'): string[] {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env).map(([name, value]) =>
    shell === 'fish' ? `set -gx ${name} ${quote(value)}` : `export ${name}=${quote(value)}`,
  );
}
