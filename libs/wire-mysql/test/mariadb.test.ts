// Against the machine's real MariaDB (127.0.0.1:3306, root without a password): a raw TCP
// socket driven only by this codec. Handshake and logins (native password, ed25519 through an
// auth switch), a text result, a prepared statement with a binary result over many types, an
// ERR, masking real rows, COM_QUIT; then the server's recorded bytes replayed split at every
// offset.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import {
  type BinaryValue,
  Capability,
  CLIENT_MYSQL,
  type ColumnDefinition,
  ColumnType,
  commandResponseKind,
  decodeAuthReply,
  decodeBinaryRow,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeErr,
  decodeHandshakeV10,
  decodeOk,
  decodeResultSetEnd,
  decodeSessionState,
  decodeStmtPrepareOk,
  decodeTextRow,
  ed25519Password,
  encodeCommand,
  encodeHandshakeResponse41,
  encodeHandshakeV10,
  encodeStmtExecute,
  type HandshakeV10,
  isEofPacket,
  isResultSetEnd,
  MariaDbCapability,
  type Message,
  nativePassword,
  nativePasswordHash,
  negotiateCapabilities,
  packet,
  PacketReader,
  rewriteBinaryRow,
  rewriteTextRow,
  scanBinaryRow,
  scanTextRow,
  scrambleOf,
  ServerStatus,
  type SessionCapabilities,
  SessionTrack,
} from '../src/index.js';
import { readAtEveryOffset } from './fixtures.js';

const HOST = process.env.MYSQL_HOST ?? '127.0.0.1';
const PORT = Number(process.env.MYSQL_PORT ?? 3306);
const DATABASE = `wire_mysql_${process.pid}`;

const BASE_FLAGS =
  Capability.PROTOCOL_41 |
  Capability.SECURE_CONNECTION |
  Capability.PLUGIN_AUTH |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.TRANSACTIONS |
  Capability.MULTI_RESULTS |
  Capability.MULTI_STATEMENTS |
  Capability.CONNECT_ATTRS |
  Capability.CONNECT_WITH_DB;

/** A minimal client: the codec's encoders out, PacketReader in, every server byte recorded. */
class Client {
  readonly serverChunks: Buffer[] = [];
  private readonly reader = new PacketReader();
  private readonly messages: Message[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  handshake!: HandshakeV10;
  caps!: SessionCapabilities;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.serverChunks.push(chunk);
      this.reader.parse(chunk, (message) => this.messages.push(message));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static open(): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect(PORT, HOST, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  async next(): Promise<Message> {
    for (;;) {
      const message = this.messages.shift();
      if (message !== undefined) return message;
      if (this.closed) throw new Error('the server closed the connection');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  send(payload: Buffer, sequenceId: number): void {
    this.socket.write(packet(payload, sequenceId));
  }

  closedByServer(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Handshake and login; returns the server's final auth reply payload. */
  async login(options: {
    user: string;
    password: string;
    flags: number;
    mariaDbFlags?: number;
    database?: string;
  }): Promise<Buffer> {
    const greeting = await this.next();
    this.handshake = decodeHandshakeV10(greeting.payload);
    const client = { flags: options.flags >>> 0, mariaDbFlags: options.mariaDbFlags ?? 0 };
    this.caps = negotiateCapabilities(
      { flags: this.handshake.capabilityFlags, mariaDbFlags: this.handshake.mariaDbCapabilityFlags },
      client,
    );
    const nonce = scrambleOf(this.handshake.authPluginData);
    this.send(
      encodeHandshakeResponse41({
        capabilityFlags: this.caps.flags,
        mariaDbCapabilityFlags: this.caps.mariaDbFlags ?? 0,
        maxPacketSize: 16 * 1024 * 1024,
        characterSet: 45,
        username: options.user,
        authResponse: nativePassword(options.password, nonce),
        database: options.database,
        authPluginName: 'mysql_native_password',
        attributes: [
          ['_client_name', 'postern-wire-mysql-test'],
          ['_pid', String(process.pid)],
        ],
      }),
      greeting.sequenceId + 1,
    );
    let reply = await this.next();
    for (;;) {
      const decoded = decodeAuthReply(reply.payload, this.caps);
      if (decoded.type !== 'AuthSwitchRequest') return reply.payload;
      const data = scrambleOf(decoded.request.pluginData);
      const answer =
        decoded.request.pluginName === 'client_ed25519'
          ? ed25519Password(options.password, data)
          : nativePassword(options.password, data);
      this.send(answer, reply.lastSequenceId + 1);
      reply = await this.next();
    }
  }

  /** Sends a command and collects its response: OK/ERR, or result sets up to the last one's end. */
  async command(payload: Buffer): Promise<Message[]> {
    this.send(payload, 0);
    const out: Message[] = [];
    for (;;) {
      const status = await this.result(out);
      if ((status & ServerStatus.MORE_RESULTS_EXISTS) === 0) return out;
    }
  }

  /** Reads one result (OK, ERR or a result set) into `out`; returns its status flags. */
  private async result(out: Message[]): Promise<number> {
    const first = await this.next();
    out.push(first);
    const kind = commandResponseKind(first.payload);
    if (kind === 'ok') return decodeOk(first.payload, this.caps).statusFlags;
    if (kind !== 'result-set') return 0;
    const { columnCount, metadataFollows } = decodeColumnCount(first.payload, this.caps);
    const deprecateEof = (this.caps.flags & Capability.DEPRECATE_EOF) !== 0;
    if (metadataFollows) {
      for (let i = 0; i < columnCount; i++) out.push(await this.next());
      if (!deprecateEof) out.push(await this.next()); // EOF after the definitions
    }
    for (;;) {
      const message = await this.next();
      out.push(message);
      if (isResultSetEnd(message.payload, this.caps)) return decodeResultSetEnd(message.payload, this.caps).statusFlags;
    }
  }
}

function definitions(messages: Message[], caps: SessionCapabilities): ColumnDefinition[] {
  const { columnCount } = decodeColumnCount(messages[0]!.payload, caps);
  return messages.slice(1, 1 + columnCount).map((m) => decodeColumnDefinition(m.payload, caps));
}

function rows(messages: Message[], caps: SessionCapabilities): Message[] {
  const { columnCount } = decodeColumnCount(messages[0]!.payload, caps);
  const skip = 1 + columnCount + ((caps.flags & Capability.DEPRECATE_EOF) !== 0 ? 0 : 1);
  return messages.slice(skip, -1);
}

const query = (sql: string, caps: SessionCapabilities) => encodeCommand({ type: 'Query', sql }, caps);

async function admin(sql: string): Promise<Message[]> {
  const client = await Client.open();
  try {
    const reply = await client.login({ user: 'root', password: '', flags: BASE_FLAGS | Capability.DEPRECATE_EOF });
    expect(reply[0]).toBe(0);
    return await client.command(query(sql, client.caps));
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
});

afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
});

describe('a session with CLIENT_DEPRECATE_EOF, session tracking and MariaDB extended metadata', () => {
  let client: Client;
  beforeAll(async () => {
    client = await Client.open();
  });
  afterAll(() => client.destroy());

  test('the greeting is a MariaDB HandshakeV10 and root logs in with mysql_native_password', async () => {
    const reply = await client.login({
      user: 'root',
      password: '',
      flags: (BASE_FLAGS | Capability.DEPRECATE_EOF | Capability.SESSION_TRACK) & ~CLIENT_MYSQL,
      mariaDbFlags: MariaDbCapability.EXTENDED_METADATA | MariaDbCapability.CACHE_METADATA,
      database: DATABASE,
    });
    const hs = client.handshake;
    expect(hs.serverVersion).toMatch(/MariaDB/);
    expect(hs.capabilityFlags & CLIENT_MYSQL).toBe(0);
    expect(hs.mariaDbCapabilityFlags & MariaDbCapability.CACHE_METADATA).not.toBe(0);
    expect(hs.authPluginName).toBe('mysql_native_password');
    expect(scrambleOf(hs.authPluginData)).toHaveLength(20);
    expect(encodeHandshakeV10(hs).equals(Buffer.from(client.serverChunks[0]!.subarray(4)))).toBe(true);
    const ok = decodeOk(reply, client.caps);
    expect(ok.statusFlags & ServerStatus.AUTOCOMMIT).not.toBe(0);
  });

  test('COM_QUERY: a text result, column metadata, NULL, and the 0xFE OK at the end', async () => {
    const messages = await client.command(
      query("SELECT 1 AS one, 'héllo' AS s, NULL AS n, CAST(2.50 AS DECIMAL(5,2)) AS d", client.caps),
    );
    expect(decodeColumnCount(messages[0]!.payload, client.caps)).toEqual({ columnCount: 4, metadataFollows: true });
    const columns = definitions(messages, client.caps);
    expect(columns.map((c) => c.name)).toEqual(['one', 's', 'n', 'd']);
    expect(columns[0]).toMatchObject({ catalog: 'def', type: ColumnType.LONG });
    expect(columns[3]).toMatchObject({ type: ColumnType.NEWDECIMAL, decimals: 2 });
    const [row] = rows(messages, client.caps);
    expect(decodeTextRow(row!.payload, 4).map((c) => c?.toString('utf8') ?? null)).toEqual([
      '1',
      'héllo',
      null,
      '2.50',
    ]);
    const end = messages.at(-1)!.payload;
    expect(end[0]).toBe(0xfe);
    expect(decodeOk(end, client.caps).header).toBe(0xfe);
  });

  test('session tracking reports a schema change in the OK', async () => {
    const [reply] = await client.command(encodeCommand({ type: 'InitDb', database: 'test' }, client.caps));
    const ok = decodeOk(reply!.payload, client.caps);
    expect(ok.statusFlags & ServerStatus.SESSION_STATE_CHANGED).not.toBe(0);
    expect(decodeSessionState(ok.sessionState!)).toContainEqual({ type: SessionTrack.SCHEMA, schema: 'test' });
    await client.command(encodeCommand({ type: 'InitDb', database: DATABASE }, client.caps));
  });

  test('an ERR carries the error code, the SQL state and the message', async () => {
    const [reply] = await client.command(query('SELECT * FROM no_such_table', client.caps));
    expect(commandResponseKind(reply!.payload)).toBe('err');
    expect(decodeErr(reply!.payload)).toEqual({
      code: 1146,
      sqlState: '42S02',
      message: `Table '${DATABASE}.no_such_table' doesn't exist`,
    });
  });

  test('COM_STMT_PREPARE / EXECUTE: a binary result over many column types', async () => {
    const setup = [
      `CREATE TABLE typed (id INT PRIMARY KEY, t TINYINT, u BIGINT UNSIGNED, f FLOAT, dbl DOUBLE,
        dec_ DECIMAL(10,3), v VARCHAR(20), b BLOB, d DATE, dt DATETIME(6), tm TIME(3), y YEAR, n INT NULL)`,
      `INSERT INTO typed VALUES (1, -5, 18446744073709551615, 1.5, -2.25, 1234.567, 'alice@example.com',
        x'00ff10', '2024-02-29', '2024-02-29 13:14:15.123456', '-838:59:58.5', 2024, NULL)`,
    ];
    for (const sql of setup) expect((await client.command(query(sql, client.caps)))[0]!.payload[0]).toBe(0);

    client.send(encodeCommand({ type: 'StmtPrepare', sql: 'SELECT * FROM typed WHERE id = ?' }, client.caps), 0);
    const prepare = decodeStmtPrepareOk((await client.next()).payload);
    expect(prepare).toMatchObject({ columnCount: 13, paramCount: 1 });
    const param = decodeColumnDefinition((await client.next()).payload, client.caps);
    expect(param.name).toBe('?');
    const columns: ColumnDefinition[] = [];
    for (let i = 0; i < 13; i++) columns.push(decodeColumnDefinition((await client.next()).payload, client.caps));
    expect(columns.map((c) => c.orgName)).toEqual([
      'id',
      't',
      'u',
      'f',
      'dbl',
      'dec_',
      'v',
      'b',
      'd',
      'dt',
      'tm',
      'y',
      'n',
    ]);
    expect(columns[6]).toMatchObject({ orgTable: 'typed', table: 'typed', schema: DATABASE });

    const execute = encodeStmtExecute(
      { statementId: prepare.statementId, params: [{ type: ColumnType.LONGLONG, unsigned: false, value: 1n }] },
      client.caps,
    );
    const messages = await client.command(execute);
    const count = decodeColumnCount(messages[0]!.payload, client.caps);
    expect(count.columnCount).toBe(13);
    // The mariadb connector's CACHE_METADATA: the definitions come again only when asked for.
    const resent = count.metadataFollows ? definitions(messages, client.caps) : columns;
    expect(resent.map((c) => c.type)).toEqual(columns.map((c) => c.type));
    const body = count.metadataFollows ? rows(messages, client.caps) : messages.slice(1, -1);
    expect(body).toHaveLength(1);
    const values = decodeBinaryRow(body[0]!.payload, columns);
    const expected: BinaryValue[] = [
      1,
      -5,
      18446744073709551615n,
      1.5,
      -2.25,
      Buffer.from('1234.567'),
      Buffer.from('alice@example.com'),
      Buffer.from([0, 0xff, 0x10]),
      { year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0, microsecond: 0 },
      { year: 2024, month: 2, day: 29, hour: 13, minute: 14, second: 15, microsecond: 123456 },
      { negative: true, days: 34, hours: 22, minutes: 59, seconds: 58, microseconds: 500000 },
      2024,
      null,
    ];
    expect(values).toEqual(expected);

    // Masking the real row: replace the e-mail and the blob, NULL the decimal.
    const types = columns.map((c) => c.type);
    const cells = scanBinaryRow(body[0]!.payload, types);
    expect(cells.value(body[0]!.payload, 6)!.toString()).toBe('alice@example.com');
    const masked = rewriteBinaryRow(
      body[0]!.payload,
      cells,
      types,
      new Map<number, BinaryValue | string>([
        [6, 'a***@example.com'],
        [7, Buffer.from('x')],
        [5, null],
      ]),
      body[0]!.sequenceId,
    );
    const [remasked] = readAtEveryOffset(masked);
    expect(decodeBinaryRow(remasked!.payload, columns)).toEqual(
      expected.map((v, i) =>
        i === 6 ? Buffer.from('a***@example.com') : i === 7 ? Buffer.from('x') : i === 5 ? null : v,
      ),
    );

    client.send(encodeCommand({ type: 'StmtClose', statementId: prepare.statementId }, client.caps), 0);
  });

  test('masking a real text row', async () => {
    const messages = await client.command(query('SELECT v, id, n FROM typed', client.caps));
    const [row] = rows(messages, client.caps);
    const cells = scanTextRow(row!.payload, 3);
    const masked = rewriteTextRow(row!.payload, cells, new Map([[0, 'redacted']]), row!.sequenceId);
    expect(masked.readUIntLE(0, 3)).toBe(masked.length - 4);
    expect(masked[3]).toBe(row!.sequenceId);
    expect(decodeTextRow(masked.subarray(4), 3)).toEqual([Buffer.from('redacted'), Buffer.from('1'), null]);
  });

  test('COM_PING answers OK; COM_QUIT closes the connection', async () => {
    const [pong] = await client.command(encodeCommand({ type: 'Ping' }, client.caps));
    expect(decodeOk(pong!.payload, client.caps).affectedRows).toBe(0n);
    client.send(encodeCommand({ type: 'Quit' }, client.caps), 0);
    await client.closedByServer();
  });

  test("the server's recorded bytes read the same split at every offset", () => {
    const all = Buffer.concat(client.serverChunks);
    const messages = readAtEveryOffset(all);
    expect(messages.length).toBeGreaterThan(30);
    expect(Buffer.concat(messages.map((m) => m.bytes)).equals(all)).toBe(true);
  });
});

describe('a classic session (EOF packets)', () => {
  test('result sets end with EOF packets', async () => {
    const client = await Client.open();
    try {
      await client.login({ user: 'root', password: '', flags: BASE_FLAGS });
      const messages = await client.command(query('SELECT 1 AS a UNION SELECT 2', client.caps));
      expect(isEofPacket(messages[2]!.payload)).toBe(true);
      expect(decodeResultSetEnd(messages.at(-1)!.payload, client.caps).statusFlags & ServerStatus.AUTOCOMMIT).not.toBe(
        0,
      );
      expect(rows(messages, client.caps).map((r) => decodeTextRow(r.payload, 1)[0]!.toString())).toEqual(['1', '2']);
      const multi = await client.command(query('SELECT 1; SELECT 2', client.caps));
      expect(multi.filter((m) => isEofPacket(m.payload))).toHaveLength(4);
    } finally {
      client.destroy();
    }
  });
});

describe('password logins', () => {
  const user = `wire_${process.pid}`;

  afterAll(async () => {
    await admin(`DROP USER IF EXISTS '${user}'@'%', '${user}_ed'@'%'`);
  });

  test('mysql_native_password with a password; the stored hash is nativePasswordHash', async () => {
    await admin(`CREATE USER '${user}'@'%' IDENTIFIED BY 's3cret pässword'`);
    const [stored] = await admin(`SELECT authentication_string FROM mysql.user WHERE user = '${user}'`).then((m) =>
      rows(m, { flags: BASE_FLAGS | Capability.DEPRECATE_EOF }).map((r) => decodeTextRow(r.payload, 1)[0]!.toString()),
    );
    expect(stored).toBe('*' + nativePasswordHash('s3cret pässword').toString('hex').toUpperCase());
    const client = await Client.open();
    try {
      const reply = await client.login({ user, password: 's3cret pässword', flags: BASE_FLAGS });
      expect(decodeAuthReply(reply, client.caps).type).toBe('Ok');
    } finally {
      client.destroy();
    }
    const wrong = await Client.open();
    try {
      const reply = await wrong.login({ user, password: 'nope', flags: BASE_FLAGS });
      const decoded = decodeAuthReply(reply, wrong.caps);
      expect(decoded.type === 'Err' && decoded.err.code).toBe(1045);
    } finally {
      wrong.destroy();
    }
  });

  test('client_ed25519 through an auth switch (MariaDB signs the nonce with a key from the password)', async () => {
    const [plugin] = await admin(`SELECT 1 FROM information_schema.plugins WHERE plugin_name = 'ed25519'`).then((m) =>
      rows(m, { flags: BASE_FLAGS | Capability.DEPRECATE_EOF }),
    );
    if (plugin === undefined) await admin(`INSTALL SONAME 'auth_ed25519'`);
    const [created] = await admin(
      `CREATE USER '${user}_ed'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('long ed25519 password, not 32 bytes')`,
    );
    expect(created!.payload[0]).toBe(0);
    const client = await Client.open();
    try {
      const reply = await client.login({
        user: `${user}_ed`,
        password: 'long ed25519 password, not 32 bytes',
        flags: BASE_FLAGS,
      });
      expect(decodeAuthReply(reply, client.caps).type).toBe('Ok');
    } finally {
      client.destroy();
    }
  });
});
