// Bad input on the MySQL ingress ends only the session concerned, with an ERR when the client can
// still read one, and the engine goes on serving: random bytes before login, random command
// payloads (well framed) after it. Deterministic: a seeded generator.
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { decodeErr, packet } from '@postern/wire-mysql';
import { connectThrough, MARIADB, MysqlTestGateway, RawMysqlClient, TargetDatabase } from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;

beforeAll(async () => {
  db = await TargetDatabase.create();
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    policy: {
      guardrails: [{ id: 'g', name: 'no drops', connectionIds: [], groups: [], match: { statementKinds: ['DROP'] } }],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

/** xorshift32: the same bytes on every run. */
function generator(seed: number): (n: number) => Buffer {
  let state = seed >>> 0 || 1;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      out[i] = state & 0xff;
    }
    return out;
  };
}

test('random bytes before login end only that session', async () => {
  const random = generator(0x5eed);
  const before = gateway.sessions.length;
  for (let round = 0; round < 40; round++) {
    const socket = connect(gateway.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume(); // read what the agent says (its greeting, an ERR) so its close arrives
    await new Promise((resolve) => socket.once('connect', resolve));
    const bytes = random(1 + (random(1)[0]! % 200));
    socket.write(bytes);
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
  }
  const summaries = await gateway.closedCount(before + 40);
  expect(summaries.every((s) => s.endReason !== 'error')).toBe(true);
  const client = await connectThrough(gateway.port, 'shop');
  const [rows] = await client.query('SELECT 1 AS alive');
  expect(rows).toEqual([{ alive: 1 }]);
  await client.end();
});

test('commands too short for their layout get ERR 1835; the session goes on, or ends when no answer is due', async () => {
  const client = await RawMysqlClient.login(gateway.port, 'shop');
  client.pipeline(Buffer.of(0x17), Buffer.of(0x17, 1, 0), Buffer.from('\x03SELECT 1', 'latin1'));
  const messages = await client.received(6);
  expect(messages.slice(0, 2).map((m) => decodeErr(m.payload).code)).toEqual([1835, 1835]);
  expect(messages.slice(2).map((m) => m.payload[0])).toEqual([1, 3, 1, 0xfe]);
  client.pipeline(Buffer.of(0x19)); // COM_STMT_CLOSE has no answer to put an ERR in: the session ends
  const [, , , , , , last] = await client.received(7);
  expect(decodeErr(last!.payload).code).toBe(1835);
  client.close();
});

test('random command payloads after login are refused or answered; the engine goes on', async () => {
  const random = generator(0xc0ffee);
  for (let round = 0; round < 30; round++) {
    const client = await RawMysqlClient.login(gateway.port, 'shop');
    const payloads = Array.from({ length: 5 }, () => random(1 + (random(1)[0]! % 64)));
    client.socket.write(Buffer.concat(payloads.map((payload) => packet(payload, 0))));
    await Promise.race([
      client.received(1, 5_000).catch(() => undefined),
      new Promise((resolve) => client.socket.once('close', resolve)),
    ]);
    client.close();
  }
  const summaries = gateway.sessions.flatMap((s) => s.closed);
  expect(summaries.filter((s) => s.endReason === 'error')).toEqual([]);
  const client = await connectThrough(gateway.port, 'shop');
  const [rows] = await client.query('SELECT 2 AS alive');
  expect(rows).toEqual([{ alive: 2 }]);
  await client.end();
});
