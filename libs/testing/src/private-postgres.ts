// A private PostgreSQL 15 cluster for tests that need what the machine's server does not offer:
// password authentication (SCRAM, md5, cleartext) and TLS. The machine's cluster trusts every
// local connection and has ssl=off, so these targets are built here, per test file.
//
// How: `initdb` and `pg_ctl` run as the `postgres` OS user (tests run as root, which PostgreSQL
// refuses to run as) in a fresh temp directory owned by postgres, listening on 127.0.0.1 and a
// free port, with fsync off (throwaway data) and a self-signed certificate for TLS. Roles:
//   scram     SCRAM-SHA-256 (pg_hba `scram-sha-256`)
//   md5       password stored as md5 (pg_hba `md5`)
//   cleartext pg_hba `password`: the password travels in clear (fine over loopback)
//   tls       `hostssl` only, `hostnossl ... reject` for it
//   postgres  the superuser, trusted over the Unix socket and 127.0.0.1, for test set-up
// Every role owns a database of its own name. Starting takes about 1.5 s (initdb dominates).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';
import { selfSignedCertificate } from './tls.js';

const run = promisify(execFile);
const PG_BIN = process.env['POSTERN_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export type PrivatePostgresRole = 'scram' | 'md5' | 'cleartext' | 'tls';

export interface PrivatePostgresUser {
  user: string;
  password: string;
  /** A database owned by this role. */
  database: string;
}

export interface PrivatePostgres {
  host: string;
  port: number;
  /** Directory of the Unix socket (the superuser connects there without a password). */
  socketDir: string;
  users: Record<PrivatePostgresRole, PrivatePostgresUser>;
  /** PEM of the server certificate, self-signed: use it as the CA (verify-full works for 127.0.0.1 and localhost). */
  ca: string;
  /** Runs SQL as the superuser. */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  /** Stops the server as a crash would (immediate shutdown), keeping its data: see `up()`. */
  down(): Promise<void>;
  /** Starts the server again on the same port, with the same data. */
  up(): Promise<void>;
  /** Fast shutdown, then removes the cluster's directory. */
  stop(): Promise<void>;
}

export interface PrivatePostgresOptions {
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>;
}

const ROLE_NAMES: Record<PrivatePostgresRole, string> = {
  scram: 'postern_scram',
  md5: 'postern_md5',
  cleartext: 'postern_cleartext',
  tls: 'postern_tls',
};

/** Starts a private PostgreSQL cluster (see the top of this file). Call `stop()` in afterAll. */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  if (userInfo().uid !== 0) throw new Error('startPrivatePostgres needs root (to run PostgreSQL as the postgres user)');
  const { uid, gid } = await postgresIds();
  const dir = mkdtempSync('/tmp/postern-pg-');
  chownSync(dir, uid, gid);
  const dataDir = join(dir, 'data');
  const asPostgres = (command: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', join(PG_BIN, command), ...args], { cwd: dir });
  try {
    const [port, certificate] = await Promise.all([
      freePort(),
      selfSignedCertificate(['localhost']),
      asPostgres('initdb', [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ]),
    ]);
    installCertificate(dir, certificate.certFile, certificate.keyFile, uid, gid);
    rmSync(certificate.dir, { recursive: true, force: true });
    writeConfiguration(dataDir, dir, port, options.settings ?? {});
    const start = () =>
      asPostgres('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '30', '-s', '-l', join(dir, 'postgres.log')]);
    await start();
    const users = await createRoles(dir, port);
    const stop = async (): Promise<void> => {
      await asPostgres('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-s']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    };
    return {
      host: '127.0.0.1',
      port,
      socketDir: dir,
      users,
      ca: certificate.cert,
      query: (sql, database = 'postgres') => superuserQuery(dir, port, sql, database),
      down: async () => {
        await asPostgres('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-s']);
      },
      up: async () => {
        await start();
      },
      stop,
    };
  } catch (error) {
    await asPostgres('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-s']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** PostgreSQL refuses a key readable by others: copy both files, owned by postgres, key 0600. */
function installCertificate(dir: string, certFile: string, keyFile: string, uid: number, gid: number): void {
  for (const [source, name, mode] of [
    [certFile, 'server.crt', 0o644],
    [keyFile, 'server.key', 0o600],
  ] as const) {
    const target = join(dir, name);
    copyFileSync(source, target);
    chownSync(target, uid, gid);
    chmodSync(target, mode);
  }
}

function writeConfiguration(dataDir: string, dir: string, port: number, extra: Record<string, string | number>): void {
  const settings: Record<string, string | number> = {
    listen_addresses: `'127.0.0.1'`,
    port,
    unix_socket_directories: `'${dir}'`,
    ssl: 'on',
    ssl_cert_file: `'${join(dir, 'server.crt')}'`,
    ssl_key_file: `'${join(dir, 'server.key')}'`,
    password_encryption: `'scram-sha-256'`,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 50,
    shared_buffers: `'32MB'`,
    ...extra,
  };
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    Object.entries(settings)
      .map(([name, value]) => `${name} = ${value}\n`)
      .join(''),
  );
  const hba = [
    'local   all  postgres                   trust',
    'host    all  postgres           127.0.0.1/32 trust',
    `hostssl all  ${ROLE_NAMES.tls}   127.0.0.1/32 scram-sha-256`,
    `hostnossl all ${ROLE_NAMES.tls}  127.0.0.1/32 reject`,
    `host    all  ${ROLE_NAMES.scram} 127.0.0.1/32 scram-sha-256`,
    `host    all  ${ROLE_NAMES.md5}   127.0.0.1/32 md5`,
    `host    all  ${ROLE_NAMES.cleartext} 127.0.0.1/32 password`,
  ];
  writeFileSync(join(dataDir, 'pg_hba.conf'), hba.join('\n') + '\n');
}

async function createRoles(dir: string, port: number): Promise<Record<PrivatePostgresRole, PrivatePostgresUser>> {
  const users = {} as Record<PrivatePostgresRole, PrivatePostgresUser>;
  const client = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    for (const role of Object.keys(ROLE_NAMES) as PrivatePostgresRole[]) {
      const user = ROLE_NAMES[role];
      // Non-hex characters exercise quoting and SASLprep on the way.
      const password = `pw-${randomBytes(12).toString('base64url')}-é`;
      await client.query(`SET password_encryption = '${role === 'md5' ? 'md5' : 'scram-sha-256'}'`);
      await client.query(`CREATE ROLE ${user} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
      await client.query(`CREATE DATABASE ${user} OWNER ${user}`);
      users[role] = { user, password, database: user };
    }
  } finally {
    await client.end();
  }
  return users;
}

async function superuserQuery(dir: string, port: number, sql: string, database: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: dir, port, user: 'postgres', database });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
