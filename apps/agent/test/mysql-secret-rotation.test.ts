// Issue 25, item 5, for the MySQL engine: a target password changed on the machine's MariaDB
// (ALTER USER) and in the secret file applies to the next mysql2 session through the agent, with
// no restart, while the session already open keeps running; a file that is gone fails new
// sessions closed with a clear error that names neither the password nor the file.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { loadAgentConfig } from '../src/config.js';
import { AgentReach } from '../src/reach/agent-reach.js';
import { connectThrough, MARIADB, MysqlTestGateway, rootConnection } from './mysql-harness.js';

const suffix = randomBytes(4).toString('hex');
const USER = `postern_rot_${suffix}`;
const DATABASE = `postern_rot_${suffix}`;
let dir: string;
let gateway: MysqlTestGateway;
const passwords: string[] = [];
const open: mysql.Connection[] = [];

async function asRoot(sql: string): Promise<void> {
  const root = await rootConnection();
  try {
    await root.query(sql);
  } finally {
    await root.end();
  }
}

/** Changes the user's password on the server, as a DBA or a rotation job would. */
async function rotateOnTarget(): Promise<string> {
  const password = `rotated-${randomBytes(12).toString('base64url')}`;
  passwords.push(password);
  await asRoot(`ALTER USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
  return password;
}

/** Writes the secret file as Vault Agent does: a new file renamed over the old. */
function publish(password: string): void {
  writeFileSync(join(dir, '.password.tmp'), `${password}\n`);
  renameSync(join(dir, '.password.tmp'), join(dir, 'password'));
}

async function session(): Promise<mysql.Connection> {
  const connection = await connectThrough(gateway.port, 'db');
  connection.on('error', () => undefined);
  open.push(connection);
  return connection;
}

async function currentUser(connection: mysql.Connection): Promise<string> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS who');
  return rows[0]!['who'] as string;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-mysql-rotation-'));
  passwords.push(`first-${randomBytes(12).toString('base64url')}`);
  await asRoot(
    `CREATE DATABASE ${DATABASE}; CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${passwords[0]}'; ` +
      `GRANT SELECT ON ${DATABASE}.* TO '${USER}'@'127.0.0.1'`,
  );
  writeFileSync(join(dir, 'password'), `${passwords[0]}\n`);
  const config = loadAgentConfig({
    POSTERN_CONTROL_PLANE_ADDRESS: '127.0.0.1:1',
    POSTERN_AGENT_STATE_DIR: join(dir, 'state'),
    POSTERN_AGENT_SECRET_ALLOW: `file:${dir}/`,
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${MARIADB.port}`,
  });
  gateway = await MysqlTestGateway.start({
    connections: {
      db: {
        host: '127.0.0.1',
        port: MARIADB.port,
        database: DATABASE,
        user: USER,
        password: 'unused: the agent resolves secretRef itself',
        tlsMode: 'disable',
        secretRef: `file:${dir}/password`,
      },
    },
    reach: new AgentReach(config.reach, () => undefined),
  });
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.end().catch(() => undefined)));
  await gateway?.stop();
  await asRoot(`DROP USER IF EXISTS '${USER}'@'127.0.0.1'; DROP DATABASE IF EXISTS ${DATABASE}`);
  rmSync(dir, { recursive: true, force: true });
});

test('a rotated password applies to the next session; open sessions keep running; a gone file fails closed', async () => {
  const running = await session();
  expect(await currentUser(running)).toBe(`${USER}@127.0.0.1`);

  const password = await rotateOnTarget();
  // The server has the new password, the file still the old one: the next session is refused.
  const stale = await session().then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(stale?.message).toBe('the target server refused the login of the Postern agent (see the agent log)');
  publish(password);
  expect(await currentUser(await session())).toBe(`${USER}@127.0.0.1`);
  publish(await rotateOnTarget());
  expect(await currentUser(await session())).toBe(`${USER}@127.0.0.1`);
  expect(await currentUser(running)).toBe(`${USER}@127.0.0.1`);

  rmSync(join(dir, 'password'));
  const error = await session().then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error?.message).toBe('Postern: the agent cannot read the target secret of this connection');
  expect(gateway.logLines.join('')).toMatch(/cannot be read: ENOENT/);
  expect(await currentUser(running)).toBe(`${USER}@127.0.0.1`);
  for (const password of passwords) expect(gateway.logLines.join('')).not.toContain(password);
});
