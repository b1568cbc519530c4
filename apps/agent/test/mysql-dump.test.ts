// Clients that connect without naming a database: the real `mysqldump` and `mariadb` name the
// Postern connection in the user name (`alice+shop`), then select the database themselves
// (COM_INIT_DB, `USE`). A schema is dumped through the engine (tables, data, a view, a routine,
// a trigger, `--single-transaction`) and restored as root into a fresh database, where it must
// equal the original.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import mysql from 'mysql2/promise';
import { ALICE, MARIADB, MysqlTestGateway, rootConnection, runMariadb, TargetDatabase } from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;
const restored = `postern_restore_${randomBytes(4).toString('hex')}`;
/** The connection is named as its database, so what mysqldump asks by name (routines) is found. */
let connection: string;

beforeAll(async () => {
  db = await TargetDatabase.create();
  connection = db.name;
  await db.root(
    `CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(32), email VARCHAR(64));
     CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT, total DECIMAL(10,2), note BLOB);
     CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
     CREATE FUNCTION with_tax(x DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN x * 1.2;
     CREATE TRIGGER orders_note BEFORE INSERT ON orders FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'none');`,
  );
  await db.root(
    `INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com'), (3, 'Zoë ''quoted''', NULL);
     INSERT INTO orders (customer_id, total, note) VALUES (1, 12.5, NULL), (2, 250, x'00ff10'), (1, 999.99, 'gift');`,
  );
  // SHOW CREATE FUNCTION of a routine another user defined needs this on MariaDB 10.11 (a target
  // grant, nothing of the gateway's).
  const root = await rootConnection();
  await root.query(`GRANT SELECT ON mysql.proc TO '${db.native.user}'@'127.0.0.1'`).finally(() => root.end());
  gateway = await MysqlTestGateway.start({
    connections: {
      [connection]: {
        ...MARIADB,
        database: db.name,
        user: db.native.user,
        password: db.native.password,
        tlsMode: 'disable',
      },
      other: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    policy: {
      guardrails: [
        { id: 'g', name: 'no drops', connectionIds: [], groups: [], match: { statementKinds: ['DROP TABLE'] } },
      ],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
  const root = await rootConnection();
  await root.query(`DROP DATABASE IF EXISTS ${restored}`).finally(() => root.end());
});

/** Runs a client; stdout is kept as bytes (a dump holds binary column values as they are). */
function runBytes(
  command: string,
  args: string[],
  input: string | Buffer = '',
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC' },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'buffer',
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr: stderr.toString() });
      },
    );
    child.stdin?.end(input);
  });
}

async function run(command: string, args: string[], input: string | Buffer = '') {
  const result = await runBytes(command, args, input);
  return { ...result, stdout: result.stdout.toString() };
}

function through(user: string): string[] {
  return ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '-P', String(gateway.port), '-u', user];
}

test('mysqldump of a schema through the engine restores to the same tables, data, view, routine and trigger', async () => {
  const dump = await runBytes('mysqldump', [
    ...through(`${ALICE.user}+${connection}`),
    `--password=${ALICE.password}`,
    '--single-transaction',
    '--routines',
    '--triggers',
    '--no-tablespaces',
    '--skip-dump-date',
    connection,
  ]);
  expect(dump.stderr).toBe('');
  expect(dump.code).toBe(0);
  const text = dump.stdout.toString('latin1');
  expect(text).toContain('CREATE TABLE `customers`');
  expect(text).toContain('FUNCTION `with_tax`');
  expect(text).toContain('TRIGGER');
  expect(text).toContain('-- Dump completed');

  const root = await rootConnection();
  try {
    await root.query(`CREATE DATABASE ${restored}`);
  } finally {
    await root.end();
  }
  const load = await run(
    'mariadb',
    ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '-u', 'root', restored],
    dump.stdout,
  );
  expect(load.stderr).toBe('');
  expect(load.code).toBe(0);
  const check = await rootConnection();
  try {
    for (const table of ['customers', 'orders', 'big_orders']) {
      const [[original]] = (await check.query(`CHECKSUM TABLE ${db.name}.${table}`)) as unknown as [
        { Checksum: number }[],
      ];
      const [[copy]] = (await check.query(`CHECKSUM TABLE ${restored}.${table}`)) as unknown as [
        { Checksum: number }[],
      ];
      expect({ table, checksum: copy!.Checksum }).toEqual({ table, checksum: original!.Checksum });
    }
    const [[taxed]] = (await check.query(`SELECT ${restored}.with_tax(10) AS v`)) as unknown as [{ v: string }[]];
    expect(taxed!.v).toBe('12.00');
    await check.query(`INSERT INTO ${restored}.orders (customer_id, total) VALUES (3, 1)`);
    const [[note]] = (await check.query(`SELECT note FROM ${restored}.orders WHERE customer_id = 3`)) as unknown as [
      { note: Buffer }[],
    ];
    expect(note!.note.toString()).toBe('none');
  } finally {
    await check.end();
  }
  // Every statement mysqldump sent went through the policy and the recording.
  const recorded = [...gateway.recorded.values()].flat().filter((e) => e.type === 'statement');
  expect(recorded.some((e) => String(e.event['sql']).includes('`customers`'))).toBe(true);
});

test('mariadb without a database: the connection in the user name, USE of its database, others refused', async () => {
  const user = `${ALICE.user}+other`;
  const session = await run(
    'mariadb',
    [...through(user), `--password=${ALICE.password}`, '--batch'],
    `SELECT DATABASE() AS db;\nUSE other;\nSELECT name FROM customers ORDER BY id LIMIT 1;\nUSE ${db.name};\nSELECT COUNT(*) AS n FROM orders;\n`,
  );
  expect(session.stderr).toBe('');
  expect(session.code).toBe(0);
  // The target session is in the connection's database from the start (the agent logs in with it).
  expect(session.stdout).toBe(`db\n${db.name}\nname\nAda\nn\n3\n`);

  // The connection's own database by its name at the target, and by its Postern name, pass; any other is refused.
  const away = await run('mariadb', [...through(user), `--password=${ALICE.password}`, '--batch'], 'USE mysql;\n');
  expect(away.code).not.toBe(0);
  expect(away.stderr).toContain('ERROR 1044');

  // A guardrail still applies to a session opened this way.
  const drop = await run(
    'mariadb',
    [...through(user), `--password=${ALICE.password}`, '--batch', 'other'],
    'DROP TABLE orders;\n',
  );
  expect(drop.stderr).toContain('ERROR 1142');
});

test('mysql2 without a database: USE of the connection name as a query reaches its database', async () => {
  const client = await mysql.createConnection({
    host: '127.0.0.1',
    port: gateway.port,
    user: `${ALICE.user}+other`,
    password: ALICE.password,
    enableCleartextPlugin: true,
  });
  try {
    await client.query('USE other');
    const [rows] = await client.query('SELECT DATABASE() AS db, COUNT(*) AS n FROM customers');
    expect(rows).toEqual([{ db: db.name, n: 3 }]);
    await expect(client.query('USE mysql')).rejects.toMatchObject({ errno: 1044 });
  } finally {
    await client.end();
  }
});

test('no database and no connection in the user name: 1046 saying how to name it', async () => {
  const result = await runMariadb(gateway.port, '', 'SELECT 1;\n');
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('ERROR 1046');
  expect(result.stderr).toContain('<user>+<connection>');
});

test('an unknown connection in the user name is refused like a named one (1044)', async () => {
  const result = await run(
    'mariadb',
    [...through(`${ALICE.user}+nowhere`), `--password=${ALICE.password}`],
    'SELECT 1;\n',
  );
  expect(result.stderr).toContain('ERROR 1044');
});
