import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ApprovalRuleInput } from '@postern/policy';
import { raiseMaxAllowedPacket } from '@postern/testing';
import { Command, decodeErr } from '@postern/wire-mysql';
import {
  connectThrough,
  MARIADB,
  MysqlTestGateway,
  RawMysqlClient,
  runMariadb,
  TargetDatabase,
} from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;

const HOLD_UPDATES: ApprovalRuleInput = {
  id: 'rule-hold-updates',
  name: 'updates need a second pair of eyes',
  connectionIds: [],
  groups: [],
  approverGroups: ['dba'],
  requiredApprovals: 1,
  timeoutSeconds: 60,
  match: { statementKinds: ['UPDATE'] },
};

beforeAll(async () => {
  db = await TargetDatabase.create();
  await db.root(
    `CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64), email VARCHAR(128), card VARCHAR(32), score INT, note TEXT)`,
  );
  await db.root(`CREATE TABLE victims (id INT)`);
  await db.root(
    `INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com', '4111111111111111', 7, 'call ada@example.com'), (2, 'Bob', 'bob@example.com', '5500000000000004', 9, 'nothing')`,
  );
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    policy: {
      guardrails: [
        {
          id: 'rule-no-drop',
          name: 'no drops',
          connectionIds: [],
          groups: [],
          match: { statementKinds: ['DROP TABLE'] },
        },
      ],
      approvals: [HOLD_UPDATES],
      masking: [
        {
          id: 'mask-email',
          name: 'emails',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['customers.email'], style: 'redact' },
        },
        {
          id: 'mask-score',
          name: 'scores',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['score'], style: 'redact' },
        },
        {
          id: 'mask-cards',
          name: 'cards',
          connectionIds: [],
          exemptGroups: [],
          spec: { detectors: ['email'], style: 'redact' },
        },
        {
          id: 'mask-secret',
          name: 'secrets',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['vault.secret'], style: 'redact' },
        },
      ],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

async function tableExists(name: string): Promise<boolean> {
  const rows = (await db.root(`SHOW TABLES LIKE '${name}'`)) as unknown[];
  return rows.length > 0;
}

describe('guardrails', () => {
  test('DROP TABLE is blocked with the rule named; the session goes on', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    await expect(connection.query('DROP TABLE victims')).rejects.toMatchObject({
      errno: 1142,
      message: expect.stringContaining('no drops'),
    });
    const [rows] = await connection.query('SELECT 1 AS still');
    expect(rows).toEqual([{ still: 1 }]);
    await connection.end();
    expect(await tableExists('victims')).toBe(true);
  });

  test('a DROP hidden in an executable comment is blocked too (mariadb CLI)', async () => {
    const cli = await runMariadb(gateway.port, 'shop', 'SELECT 1; /*!50000 DROP TABLE victims */;', undefined, [
      '--comments',
    ]);
    expect(cli.stderr).toContain('ERROR 1142');
    expect(await tableExists('victims')).toBe(true);
  });

  test('a blocked statement cannot be prepared, so it is never executed', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    await expect(connection.execute('DROP TABLE victims')).rejects.toMatchObject({ errno: 1142 });
    await expect(connection.query("PREPARE s FROM 'DROP TABLE victims'")).rejects.toMatchObject({ errno: 1142 });
    await connection.end();
    expect(await tableExists('victims')).toBe(true);
  });

  test('a blocked statement in a multi-statement text blocks the whole text', async () => {
    const connection = await connectThrough(gateway.port, 'shop', undefined, { multipleStatements: true });
    await expect(connection.query('SELECT 1; DROP TABLE victims')).rejects.toMatchObject({ errno: 1142 });
    await connection.end();
    expect(await tableExists('victims')).toBe(true);
  });
});

describe('character sets', () => {
  test('a multi-byte set that can hide a quote (gbk) is not checked: refused until SET NAMES utf8mb4', async () => {
    const connection = await connectThrough(gateway.port, 'shop', undefined, { charset: 'GBK_CHINESE_CI' });
    await expect(connection.query('SELECT 1')).rejects.toMatchObject({
      errno: 1142,
      message: expect.stringContaining('character set'),
    });
    await connection.query('SET NAMES utf8mb4');
    const [rows] = await connection.query('SELECT 1 AS readable');
    expect(rows).toEqual([{ readable: 1 }]);
    await connection.end();
  });

  test('switching a checked session to gbk is followed (or refused), never read as UTF-8', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    await connection.query('SET NAMES gbk').catch(() => undefined);
    await expect(connection.query('SELECT 1')).rejects.toMatchObject({ errno: 1142 });
    await connection.query('SET NAMES utf8mb4');
    const [rows] = await connection.query('SELECT 2 AS back');
    expect(rows).toEqual([{ back: 2 }]);
    await connection.end();
  });

  test('latin1 sessions are checked, their text decoded as latin1', async () => {
    const connection = await connectThrough(gateway.port, 'shop', undefined, { charset: 'LATIN1_SWEDISH_CI' });
    await expect(connection.query('/*!50000 DROP TABLE victims */')).rejects.toMatchObject({ errno: 1142 });
    const [rows] = await connection.query('SELECT 3 AS fine');
    expect(rows).toEqual([{ fine: 3 }]);
    await connection.end();
  });
});

describe('pipelined commands', () => {
  test('a refused command answers in its place, after the answers of the commands before it', async () => {
    const client = await RawMysqlClient.login(gateway.port, 'shop');
    const query = (sql: string) => Buffer.concat([Buffer.of(Command.QUERY), Buffer.from(sql)]);
    client.pipeline(query('SELECT 1'), query('DROP TABLE victims'), query('SELECT 2'));
    // SELECT 1: column count, column, row, end; DROP: ERR; SELECT 2: four again.
    const messages = await client.received(9);
    expect(messages.map((m) => m.payload[0])).toEqual([1, 3, 1, 0xfe, 0xff, 1, 3, 1, 0xfe]);
    expect(decodeErr(messages[4]!.payload)).toMatchObject({ code: 1142, message: expect.stringContaining('no drops') });
    expect(messages[4]!.sequenceId).toBe(1);
    client.close();
    expect(await tableExists('victims')).toBe(true);
  });
});

describe('approvals', () => {
  test('a held prepared UPDATE (binary protocol) waits at PREPARE and runs once approved', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const before = gateway.held.length;
    const update = connection.execute('UPDATE customers SET score = ? WHERE id = ?', [8, 1]);
    const held = await gateway.nextHeld(before + 1);
    expect(held.command).toBe('UPDATE customers SET score = ? WHERE id = ?');
    held.decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    const [result] = (await update) as unknown as [{ affectedRows: number }];
    expect(result.affectedRows).toBe(1);
    await connection.end();
  });

  test('a held UPDATE waits on the wire and completes once approved', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const before = gateway.held.length;
    const update = connection.query("UPDATE customers SET name = 'Ada L.' WHERE id = 1");
    const held = await gateway.nextHeld(before + 1);
    expect(held.command).toContain('UPDATE customers');
    expect(((await db.root('SELECT name FROM customers WHERE id = 1')) as { name: string }[])[0]!.name).toBe('Ada');
    held.decide({ outcome: 'approved', decidedBy: 'bob', comment: 'ok' });
    const [result] = (await update) as unknown as [{ affectedRows: number }];
    expect(result.affectedRows).toBe(1);
    expect(((await db.root('SELECT name FROM customers WHERE id = 1')) as { name: string }[])[0]!.name).toBe('Ada L.');
    await connection.end();
  });

  test('a rejected UPDATE fails with the reason; the session goes on', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const before = gateway.held.length;
    const update = connection.query("UPDATE customers SET name = 'Mallory' WHERE id = 2");
    const held = await gateway.nextHeld(before + 1);
    held.decide({ outcome: 'rejected', decidedBy: 'carol', comment: 'not today' });
    await expect(update).rejects.toMatchObject({
      errno: 1142,
      message: expect.stringContaining('rejected by carol: not today'),
    });
    const [rows] = await connection.query('SELECT name FROM customers WHERE id = 2');
    expect(rows).toEqual([{ name: 'Bob' }]);
    await connection.end();
  });
});

describe('masking', () => {
  const masked = '********';

  test('masked columns in text and binary results, under an alias and inside CONCAT()', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const [text] = await connection.query('SELECT id, name, email, score FROM customers ORDER BY id');
    expect(text).toEqual([
      { id: 1, name: expect.any(String), email: masked, score: null },
      { id: 2, name: 'Bob', email: masked, score: null },
    ]);
    const [binary] = await connection.execute('SELECT id, email AS contact, score FROM customers WHERE id = ?', [2]);
    // A masked number cannot hold the token (a client would read a plausible number): it is NULL.
    expect(binary).toEqual([{ id: 2, contact: masked, score: null }]);
    const [concat] = await connection.query(
      "SELECT CONCAT(c.email, '!') AS e, UPPER(name) AS n FROM customers c WHERE id = 2",
    );
    // Lineage follows each value: the CONCAT of an email is masked, UPPER(name) beside it is not.
    expect(concat).toEqual([{ e: masked, n: 'BOB' }]);
    const [executed] = await connection.execute("SELECT CONCAT(email, '?') AS e FROM customers WHERE id = ?", [2]);
    expect(executed).toEqual([{ e: masked }]);
    // A derived table or a CTE hides the original table from the column definitions: masked still.
    const [derived] = await connection.query('SELECT x.e FROM (SELECT email AS e FROM customers WHERE id = 2) x');
    expect(derived).toEqual([{ e: masked }]);
    const [cte] = await connection.query('WITH w AS (SELECT email FROM customers WHERE id = 2) SELECT email FROM w');
    expect(cte).toEqual([{ email: masked }]);
    const [scalar] = await connection.query('SELECT (SELECT email FROM customers WHERE id = 1) AS s');
    expect(scalar).toEqual([{ s: masked }]);
    // `*` over a derived table cannot be tied to its columns while a rule applies: refused, not guessed.
    await expect(connection.query('SELECT * FROM (SELECT * FROM customers) x')).rejects.toMatchObject({
      errno: 1142,
      message: expect.stringContaining('cannot be told apart'),
    });
    await connection.end();
  });

  test('a masked value of 17 MiB (a row over two packets) shrinks to one; the packets after it are renumbered', async () => {
    await raiseMaxAllowedPacket();
    await db.root('CREATE TABLE vault (id INT, secret LONGTEXT, tail VARCHAR(8))');
    await db.root("INSERT INTO vault VALUES (1, REPEAT('s', 17 * 1024 * 1024), 'after'), (2, 'small', 'last')");
    const connection = await connectThrough(gateway.port, 'shop');
    const [text] = await connection.query('SELECT id, secret, tail FROM vault ORDER BY id');
    expect(text).toEqual([
      { id: 1, secret: masked, tail: 'after' },
      { id: 2, secret: masked, tail: 'last' },
    ]);
    const [binary] = await connection.execute('SELECT secret, tail FROM vault WHERE id = ?', [1]);
    expect(binary).toEqual([{ secret: masked, tail: 'after' }]);
    const [next] = await connection.query('SELECT 1 AS fine');
    expect(next).toEqual([{ fine: 1 }]);
    await connection.end();
  });

  test('detectors mask values inside other text columns', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const [rows] = await connection.query('SELECT note FROM customers WHERE id = 1');
    expect(rows).toEqual([{ note: 'call ****' }]);
    await connection.end();
  });

  test('the mariadb CLI sees masked values', async () => {
    const cli = await runMariadb(gateway.port, 'shop', 'SELECT email AS e FROM customers ORDER BY id;');
    expect(cli.stdout).toBe(`e\n${masked}\n${masked}\n`);
    expect(cli.stdout).not.toContain('@example.com');
  });
});

describe('recording', () => {
  test('every statement is recorded with rows, timing and errors; decisions are audited', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const session = gateway.sessions.at(-1)!;
    await connection.query('SELECT id FROM customers');
    await connection.execute('SELECT id FROM customers WHERE id = ?', [1]);
    await connection.query('SELECT * FROM no_such_table').catch(() => undefined);
    await connection.query('DROP TABLE victims').catch(() => undefined);
    await connection.end();
    await session.done;
    const statements = (gateway.recorded.get(session.id) ?? [])
      .filter((e) => e.type === 'statement')
      .map((e) => e.event);
    expect(statements).toEqual([
      expect.objectContaining({ protocol: 'simple', sql: 'SELECT id FROM customers', rows: 2 }),
      expect.objectContaining({
        protocol: 'extended',
        sql: 'SELECT id FROM customers WHERE id = ?',
        params: ['1'],
        rows: 1,
      }),
      expect.objectContaining({
        sql: 'SELECT * FROM no_such_table',
        error: expect.objectContaining({ code: '1146/42S02' }),
      }),
    ]);
    expect(typeof statements[0]!['durationMs']).toBe('number');
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({ kind: 'statement.blocked', ruleId: 'rule-no-drop' }),
    );
    expect(session.closed[0]).toMatchObject({ endReason: 'client_closed', statementCount: 4 });
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({
        kind: 'session.policy_summary',
        details: expect.objectContaining({ statementsRefusedByRule: { 'rule-no-drop': 1 } }),
      }),
    );
  });
});
