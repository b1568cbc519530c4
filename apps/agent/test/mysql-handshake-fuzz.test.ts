// Property tests (fast-check) of the MySQL ingress's connection phase: handshake responses built
// from arbitrary fields (capabilities, user names with and without `+connection`, databases,
// plugins, credentials) and then truncated or with bytes flipped, sent after the agent's greeting.
// Whatever arrives, the agent answers with an auth switch, an OK or one ERR, or closes; no session
// ends in an internal error; and a well-formed login still works afterwards.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Capability, encodeHandshakeResponse41, packet, PacketReader, type Message } from '@postern/wire-mysql';
import { ALICE, connectThrough, MARIADB, MysqlTestGateway, TargetDatabase } from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;

beforeAll(async () => {
  db = await TargetDatabase.create();
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    // Short: a response cut short leaves the agent waiting for the rest until this deadline.
    engine: { authTimeoutMs: 1_500 },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

const CAPABILITIES = [
  Capability.PROTOCOL_41,
  Capability.SECURE_CONNECTION,
  Capability.PLUGIN_AUTH,
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA,
  Capability.CONNECT_WITH_DB,
  Capability.CONNECT_ATTRS,
  Capability.DEPRECATE_EOF,
  Capability.MULTI_STATEMENTS,
  Capability.SSL,
  Capability.COMPRESS,
  Capability.LOCAL_FILES,
];

/** Names are NUL-terminated on the wire: a NUL inside one is what the mangling below is for. */
const withoutNul = (text: string): string => text.replaceAll('\0', '');

const handshakeResponse = fc
  .record({
    flags: fc.subarray(CAPABILITIES),
    user: fc.oneof(
      fc.constantFrom('alice', 'alice+shop', '+shop', 'alice+', 'alice+nowhere', 'mallory+shop'),
      fc.string({ maxLength: 40 }).map(withoutNul),
    ),
    database: fc.option(fc.oneof(fc.constantFrom('shop', '', 'other'), fc.string({ maxLength: 20 }).map(withoutNul)), {
      nil: null,
    }),
    plugin: fc.constantFrom('mysql_clear_password', 'mysql_native_password', 'caching_sha2_password', 'x'),
    password: fc.oneof(fc.constant(ALICE.password), fc.string({ maxLength: 30 })),
    characterSet: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ flags, user, database, plugin, password, characterSet }) => {
    let capabilityFlags = flags.reduce((all, flag) => all | flag, 0) >>> 0;
    if (database === null) capabilityFlags &= ~Capability.CONNECT_WITH_DB;
    return encodeHandshakeResponse41({
      capabilityFlags,
      mariaDbCapabilityFlags: 0,
      maxPacketSize: 1 << 24,
      characterSet,
      username: user,
      authResponse: Buffer.from(withoutNul(password)),
      ...(database === null ? {} : { database }),
      authPluginName: plugin,
    });
  });

/** A response as built, cut short, or with a few bytes replaced. */
const mangled = fc
  .tuple(
    handshakeResponse,
    fc.nat(),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.boolean(),
  )
  .map(([payload, cut, flips, truncate]) => {
    const bytes = Buffer.from(payload);
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    return truncate ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
  });

/** Sends one handshake response; resolves with the first packet the agent answers with, or null if it closed. */
async function exchange(payload: Buffer): Promise<Message | null> {
  const socket: Socket = connect(gateway.port, '127.0.0.1');
  socket.on('error', () => undefined);
  const reader = new PacketReader();
  const messages: Message[] = [];
  try {
    return await new Promise<Message | null>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        reader.parse(chunk, (message) => messages.push(message));
        if (messages.length === 1) socket.write(packet(payload, 1)); // after the greeting
        if (messages.length >= 2) resolve(messages[1]!);
      });
      socket.on('close', () => resolve(messages[1] ?? null));
    });
  } finally {
    socket.destroy();
  }
}

test('arbitrary and mangled handshake responses get an auth switch, an OK or one ERR, never an internal error', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(handshakeResponse, mangled), async (payload) => {
      const answer = await exchange(payload);
      if (answer !== null) expect([0x00, 0xfe, 0xff]).toContain(answer.payload[0]);
    }),
    { numRuns: 80, seed: 0x5e55 },
  );
  const before = gateway.sessions.length;
  await gateway.closedCount(before);
  const summaries = gateway.sessions.flatMap((session) => session.closed);
  expect(summaries.filter((summary) => summary.endReason === 'error')).toEqual([]);
  const client = await connectThrough(gateway.port, 'shop');
  const [rows] = await client.query('SELECT 3 AS alive');
  expect(rows).toEqual([{ alive: 3 }]);
  await client.end();
});
