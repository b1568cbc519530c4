import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SessionAbortError } from '../src/engines/engine.js';
import { connect } from 'node:net';
import { raiseMaxAllowedPacket } from '@postern/testing';
import { decodeErr, PacketReader, type Message } from '@postern/wire-mysql';
import {
  ALICE,
  connectThrough,
  MARIADB,
  MysqlTestGateway,
  RawMysqlClient,
  runMariadb,
  TargetDatabase,
} from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;

beforeAll(async () => {
  db = await TargetDatabase.create();
  await db.root(`CREATE TABLE items (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64), data LONGBLOB)`);
  await db.root(`INSERT INTO items (name) VALUES ('apple'), ('pear')`);
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
      ...(db.ed25519 === null
        ? {}
        : {
            'shop-ed': {
              ...MARIADB,
              database: db.name,
              user: db.ed25519.user,
              password: db.ed25519.password,
              tlsMode: 'disable',
            },
          }),
      broken: { ...MARIADB, database: db.name, user: db.native.user, password: 'not-the-password', tlsMode: 'disable' },
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

describe('login', () => {
  test('the mariadb CLI logs in with the Postern credential and queries the target', async () => {
    const result = await runMariadb(gateway.port, 'shop', 'SELECT name FROM items ORDER BY id;');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('name\napple\npear\n');
  });

  test('a wrong credential is refused with 1045 by both clients', async () => {
    const cli = await runMariadb(gateway.port, 'shop', 'SELECT 1;', { user: 'alice', password: 'wrong' });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('1045');
    await expect(connectThrough(gateway.port, 'shop', { user: 'alice', password: 'wrong' })).rejects.toMatchObject({
      errno: 1045,
    });
  });

  test('mysql2 must be told it may send the credential in clear (enableCleartextPlugin)', async () => {
    await expect(connectThrough(gateway.port, 'shop', ALICE, { enableCleartextPlugin: false })).rejects.toMatchObject({
      code: 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED',
    });
  });

  test('an unknown connection name is refused like a connection without access', async () => {
    await expect(connectThrough(gateway.port, 'nope')).rejects.toMatchObject({ errno: 1044 });
  });

  test('mysql2 logs in; the target password never reaches the client', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const [rows] = await connection.query('SELECT DATABASE() AS db, CURRENT_USER() AS who');
    expect(rows).toEqual([{ db: db.name, who: `${db.native.user}@127.0.0.1` }]);
    await connection.end();
    expect(gateway.sentText()).not.toContain(db.native.password);
    expect(gateway.logLines.join('')).not.toContain(db.native.password);
    expect(JSON.stringify([...gateway.recorded.values()])).not.toContain(db.native.password);
  });

  test('the agent logs in to an ed25519 account', async () => {
    if (db.ed25519 === null) return;
    const connection = await connectThrough(gateway.port, 'shop-ed');
    const [rows] = await connection.query('SELECT CURRENT_USER() AS who');
    expect(rows).toEqual([{ who: `${db.ed25519.user}@127.0.0.1` }]);
    await connection.end();
  });

  test('a target that refuses the injected credential gives the client an error, not its message', async () => {
    await expect(connectThrough(gateway.port, 'broken')).rejects.toMatchObject({ errno: 1184 });
  });
});

describe('queries', () => {
  test('text and binary protocol, transactions', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    await connection.beginTransaction();
    await connection.execute('INSERT INTO items (name) VALUES (?)', ['plum']);
    await connection.rollback();
    const [rows] = await connection.execute('SELECT name FROM items WHERE id > ? ORDER BY id', [0]);
    expect(rows).toEqual([{ name: 'apple' }, { name: 'pear' }]);
    await connection.query('START TRANSACTION');
    await connection.query("INSERT INTO items (name) VALUES ('fig')");
    await connection.query('COMMIT');
    const [after] = await connection.query("SELECT COUNT(*) AS n FROM items WHERE name = 'fig'");
    expect(after).toEqual([{ n: 1 }]);
    await connection.end();
  });

  test('multi-statements return every result', async () => {
    const connection = await connectThrough(gateway.port, 'shop', ALICE, { multipleStatements: true });
    const [results] = await connection.query('SELECT 1 AS a; SELECT 2 AS b');
    expect(results).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    await connection.end();
  });

  test('a 20 MB blob round-trips (16 MiB packets split and reassembled)', async () => {
    await raiseMaxAllowedPacket();
    const connection = await connectThrough(gateway.port, 'shop');
    const blob = Buffer.alloc(20 * 1024 * 1024, 0x61);
    blob.write('start', 0);
    blob.write('end', blob.length - 3);
    const [inserted] = (await connection.execute('INSERT INTO items (name, data) VALUES (?, ?)', [
      'big',
      blob,
    ])) as unknown as [{ insertId: number }];
    const [rows] = (await connection.query('SELECT data FROM items WHERE id = ?', [inserted.insertId])) as unknown as [
      { data: Buffer }[],
    ];
    expect(rows[0]!.data.equals(blob)).toBe(true);
    const [binary] = (await connection.execute('SELECT data FROM items WHERE id = ?', [
      inserted.insertId,
    ])) as unknown as [{ data: Buffer }[]];
    expect(binary[0]!.data.equals(blob)).toBe(true);
    await connection.end();
  });

  test('USE of another database is refused; the connection name is accepted', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    await expect(connection.query('USE mysql')).rejects.toMatchObject({ errno: 1044 });
    await connection.end();
    const cli = await runMariadb(gateway.port, 'shop', 'use shop\nSELECT DATABASE();\nuse mysql\n');
    expect(cli.stdout).toContain(db.name);
    expect(cli.stderr).toContain('1044');
  });
});

describe('refused commands', () => {
  test('COM_CHANGE_USER is refused with a clear error', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    await expect(connection.changeUser({ user: 'root' })).rejects.toMatchObject({
      errno: 1227,
      message: expect.stringContaining('COM_CHANGE_USER'),
    });
    connection.destroy();
  });

  test('LOAD DATA LOCAL INFILE never reads a client file: the agent offers no LOCAL_FILES', async () => {
    const cli = await runMariadb(
      gateway.port,
      'shop',
      "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE items (name);",
      ALICE,
      ['--local-infile=1'],
    );
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/ERROR (1148|4166)/);
    const rows = (await db.root('SELECT COUNT(*) AS n FROM items WHERE id > 1000')) as { n: number }[];
    expect(rows[0]!.n).toBe(0);
  });
});

describe('faults', () => {
  test('an unknown command gets ERR 1047 and the session goes on', async () => {
    const client = await RawMysqlClient.login(gateway.port, 'shop');
    client.pipeline(Buffer.of(0x99, 1, 2, 3), Buffer.from('\x03SELECT 7', 'latin1'));
    const messages = await client.received(5);
    expect(decodeErr(messages[0]!.payload)).toMatchObject({ code: 1047 });
    expect(messages.slice(1).map((m) => m.payload[0])).toEqual([1, 3, 1, 0xfe]);
    client.close();
  });

  test('a client that stalls in the handshake is timed out with an ERR', async () => {
    const impatient = await MysqlTestGateway.start({ connections: {}, engine: { authTimeoutMs: 300 } });
    try {
      const socket = connect(impatient.port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      await new Promise((resolve) => socket.once('close', resolve));
      const messages: Message[] = [];
      new PacketReader().parse(Buffer.concat(received), (m) => messages.push(m));
      expect(messages.map((m) => m.payload[0])).toEqual([0x0a, 0xff]); // greeting, ERR
      expect(decodeErr(messages[1]!.payload)).toMatchObject({
        code: 1159,
        message: expect.stringContaining('timed out'),
      });
      expect((await impatient.closedCount(1))[0]).toMatchObject({ endReason: 'auth_failed' });
    } finally {
      await impatient.stop();
    }
  });

  test('a target connection killed under a running statement ends only that session', async () => {
    const victim = await connectThrough(gateway.port, 'shop');
    const [[{ id }]] = (await victim.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    const sleeping = victim.query('SELECT SLEEP(20)');
    const session = gateway.sessions.at(-1)!;
    await waitForProcess(id, 'SELECT SLEEP(20)');
    await db.root(`KILL ${id}`);
    await expect(sleeping).rejects.toThrow();
    await session.done;
    expect(session.closed[0]?.endReason).toBe('target_closed');
    victim.destroy();
    const other = await connectThrough(gateway.port, 'shop');
    const [rows] = await other.query('SELECT 1 AS fine');
    expect(rows).toEqual([{ fine: 1 }]);
    await other.end();
  });
});

/** Waits until the target runs `info` on thread `id` (what the client sent reached the server). */
async function waitForProcess(id: number, info: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = (await db.root(`SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = ${id}`)) as {
      INFO: string | null;
    }[];
    if (rows[0]?.INFO === info) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`thread ${id} never ran ${info}`);
}

describe('session end', () => {
  test('revocation ends a session with an ERR the client sees, under a running statement', async () => {
    const connection = await connectThrough(gateway.port, 'shop');
    const session = gateway.sessions.at(-1)!;
    const [[{ id }]] = (await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    const sleeping = connection.query('SELECT SLEEP(20)');
    await waitForProcess(id, 'SELECT SLEEP(20)');
    // As the session manager does on a revoke.
    session.controller.abort(new SessionAbortError('revoked'));
    await expect(sleeping).rejects.toMatchObject({ errno: 1927, message: expect.stringContaining('access revoked') });
    await session.done;
    expect(session.closed[0]?.endReason).toBe('revoked');
    connection.destroy();
  });
});
