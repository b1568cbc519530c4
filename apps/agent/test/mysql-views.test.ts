// Views under masking: MariaDB reports a view's columns with the view as their table, so a rule on
// `customers.email` cannot see `SELECT mail FROM customers_view` in the result's metadata. The
// engine looks the statement's relations up on the session's own connection and refuses a view
// whose definition (or a view under it) may reach a masked column; other views and tables pass.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connectThrough, MARIADB, MysqlTestGateway, runMariadb, TargetDatabase } from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;

beforeAll(async () => {
  db = await TargetDatabase.create();
  await db.root(
    `CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(32), email VARCHAR(64));
     INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
     CREATE VIEW customers_view AS SELECT id, name, email AS mail FROM customers;
     CREATE VIEW names_view AS SELECT id, name FROM customers;
     CREATE VIEW nested_view AS SELECT mail AS contact FROM customers_view;
     CREATE VIEW upper_view AS SELECT id, UPPER(email) AS shout FROM customers;`,
  );
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    policy: {
      masking: [
        {
          id: 'm',
          name: 'emails',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['customers.email'], style: 'redact' },
        },
      ],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

test('a view that reaches a masked column is refused (text and binary), directly or through another view', async () => {
  const client = await connectThrough(gateway.port, 'shop');
  try {
    for (const sql of [
      'SELECT mail FROM customers_view',
      'SELECT * FROM customers_view',
      'SELECT contact FROM nested_view',
      'SELECT shout FROM upper_view',
      `SELECT c.name FROM customers c JOIN ${db.name}.customers_view v ON v.id = c.id`,
    ]) {
      await expect(client.query(sql)).rejects.toMatchObject({ errno: 1142 });
    }
    await expect(client.execute('SELECT mail FROM customers_view WHERE id = ?', [1])).rejects.toMatchObject({
      errno: 1142,
    });
    // The session goes on, in order: the table itself is masked by the rule; a harmless view passes.
    const [direct] = await client.query('SELECT name, email FROM customers ORDER BY id');
    expect(direct).toEqual([
      { name: 'Ada', email: '********' },
      { name: 'Bob', email: '********' },
    ]);
    const [names] = await client.execute('SELECT name FROM names_view WHERE id = ?', [2]);
    expect(names).toEqual([{ name: 'Bob' }]);
  } finally {
    await client.end();
  }
  const blocked = gateway.audits.filter((event) => event.kind === 'statement.blocked');
  expect(blocked.some((event) => String(event.details['reason'] ?? '').includes('customers_view'))).toBe(true);
});

test('a view created in the session is seen at once; the mariadb CLI gets the reason', async () => {
  const client = await connectThrough(gateway.port, 'shop');
  try {
    await client.query('CREATE VIEW fresh_view AS SELECT email AS e FROM customers');
    await expect(client.query('SELECT e FROM fresh_view')).rejects.toMatchObject({ errno: 1142 });
  } finally {
    await client.end();
  }
  const cli = await runMariadb(gateway.port, 'shop', 'SELECT mail FROM customers_view;\n');
  expect(cli.code).not.toBe(0);
  expect(cli.stderr).toContain('ERROR 1142');
  expect(cli.stderr).toContain('customers_view');
});

test('without column rules nothing is looked up: views read as they are', async () => {
  gateway.setPolicy({});
  try {
    const client = await connectThrough(gateway.port, 'shop');
    try {
      const [rows] = await client.query('SELECT mail FROM customers_view ORDER BY id');
      expect(rows).toEqual([{ mail: 'ada@example.com' }, { mail: 'bob@example.com' }]);
    } finally {
      await client.end();
    }
  } finally {
    gateway.setPolicy({
      masking: [
        {
          id: 'm',
          name: 'emails',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['customers.email'], style: 'redact' },
        },
      ],
    });
  }
});
