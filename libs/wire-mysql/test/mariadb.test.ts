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
  decodeSessionState,
  decodeTextRow,
  ed25519Password,
  encodeColumnDefinition,
  encodeCommand,
  encodeHandshakeResponse41,
  encodeHandshakeV10,
  encodeStmtExecute,
  type HandshakeV10,
  isEofPacket,
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
  type CommandMessage,
  CursorFlag,
  decodeCommand,
  encodeColumnCount,
  encodeOk,
  encodeResultSetEnd,
  encodeTextRow,
  SetOption,
  type ExpectedResponse,
  ResponseReader,
  type ResponseEvent,
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
  responses: ResponseReader | undefined;

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

  /**
   * Sends a command and collects its response with the codec's ResponseReader: every message
   * with the event the reader gave it.
   */
  async command(payload: Buffer, expected: ExpectedResponse = { command: 'query' }): Promise<Message[]> {
    const events = await this.exchange(payload, expected);
    return events.map(([message]) => message);
  }

  async exchange(payload: Buffer, expected: ExpectedResponse): Promise<[Message, ResponseEvent][]> {
    this.responses ??= new ResponseReader(this.caps);
    this.responses.expect(expected);
    this.send(payload, 0);
    const out: [Message, ResponseEvent][] = [];
    do {
      const message = await this.next();
      out.push([message, this.responses.next(message.payload)]);
    } while (!this.responses.done);
    return out;
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

    const prepared = await client.exchange(
      encodeCommand({ type: 'StmtPrepare', sql: 'SELECT * FROM typed WHERE id = ?' }, client.caps),
      { command: 'prepare' },
    );
    const events = prepared.map(([, event]) => event);
    expect(events.map((e) => e.type)).toEqual(['prepare-ok', 'param', ...Array<string>(13).fill('column')]);
    const prepare = (events[0] as Extract<ResponseEvent, { type: 'prepare-ok' }>).ok;
    expect(prepare).toMatchObject({ columnCount: 13, paramCount: 1 });
    expect((events[1] as Extract<ResponseEvent, { type: 'param' }>).column.name).toBe('?');
    const columns = [...client.responses!.currentColumns];
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
    // Every definition the server sent re-encodes byte for byte.
    for (const [message, event] of prepared.slice(1)) {
      if (event.type === 'param' || event.type === 'column') {
        expect(encodeColumnDefinition(event.column, client.caps).equals(message.payload)).toBe(true);
      }
    }

    const execute = encodeStmtExecute(
      { statementId: prepare.statementId, params: [{ type: ColumnType.LONGLONG, unsigned: false, value: 1n }] },
      client.caps,
    );
    // MARIADB_CLIENT_CACHE_METADATA (asked for in the handshake's filler): the definitions came
    // with the prepare, so executes leave them out and the reader uses the cached ones.
    const again = await client.exchange(execute, { command: 'execute', columns });
    expect(again.map(([, e]) => e.type)).toEqual(['result-set', 'row', 'result-end']);
    expect(again[0]![1]).toEqual({ type: 'result-set', columnCount: 13, metadataFollows: false });
    const body = again.filter(([, e]) => e.type === 'row').map(([m]) => m);
    expect(body).toHaveLength(1);
    expect(again[1]![1]).toMatchObject({ type: 'row', format: 'binary', columns });
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

  test('a cursor under CLIENT_DEPRECATE_EOF: the execute ends with an OK carrying CURSOR_EXISTS', async () => {
    const prepared = await client.exchange(
      encodeCommand({ type: 'StmtPrepare', sql: 'SELECT seq FROM seq_1_to_3' }, client.caps),
      { command: 'prepare' },
    );
    const columns = [...client.responses!.currentColumns];
    const id = (prepared[0]![1] as Extract<ResponseEvent, { type: 'prepare-ok' }>).ok.statementId;
    const opened = await client.exchange(
      encodeStmtExecute({ statementId: id, flags: CursorFlag.READ_ONLY, params: [] }, client.caps),
      { command: 'execute', columns },
    );
    const end = opened.at(-1)![1];
    expect(end.type).toBe('result-end');
    expect(
      (end as Extract<ResponseEvent, { type: 'result-end' }>).end.statusFlags & ServerStatus.CURSOR_EXISTS,
    ).not.toBe(0);
    const rows = await client.exchange(
      encodeCommand({ type: 'StmtFetch', statementId: id, rowCount: 10 }, client.caps),
      {
        command: 'fetch',
        columns,
      },
    );
    expect(rows.filter(([, e]) => e.type === 'row')).toHaveLength(3);
    client.send(encodeCommand({ type: 'StmtClose', statementId: id }, client.caps), 0);
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

describe('a classic session (EOF packets) through every command', () => {
  let client: Client;
  beforeAll(async () => {
    client = await Client.open();
    const reply = await client.login({
      user: 'root',
      password: '',
      flags: BASE_FLAGS | Capability.LOCAL_FILES | Capability.PS_MULTI_RESULTS,
      database: DATABASE,
    });
    expect(reply[0]).toBe(0);
  });
  afterAll(() => client.destroy());

  const kinds = (exchange: [Message, ResponseEvent][]) => exchange.map(([, e]) => e.type);

  test('result sets end with EOF packets; multi-statements give several results', async () => {
    const single = await client.exchange(query('SELECT 1 AS a UNION SELECT 2', client.caps), { command: 'query' });
    expect(kinds(single)).toEqual(['result-set', 'column', 'columns-end', 'row', 'row', 'result-end']);
    expect(isEofPacket(single[2]![0].payload)).toBe(true);
    expect(
      rows(
        single.map(([m]) => m),
        client.caps,
      ).map((r) => decodeTextRow(r.payload, 1)[0]!.toString()),
    ).toEqual(['1', '2']);
    const multi = await client.exchange(query('SELECT 1; DO 0; SELECT 2', client.caps), { command: 'query' });
    expect(kinds(multi)).toEqual([
      ...['result-set', 'column', 'columns-end', 'row', 'result-end'],
      'ok',
      ...['result-set', 'column', 'columns-end', 'row', 'result-end'],
    ]);
    expect(multi.filter(([, e]) => 'more' in e).map(([, e]) => (e as { more: boolean }).more)).toEqual([
      true,
      true,
      false,
    ]);
  });

  test('server packets re-encode byte for byte: definitions, rows, ends, OKs', async () => {
    const exchange = await client.exchange(
      query(
        "SELECT 'x' AS a, NULL AS b, 12345678901 AS c; CREATE TEMPORARY TABLE t_ok (a INT); INSERT INTO t_ok VALUES (1), (2)",
        client.caps,
      ),
      { command: 'query' },
    );
    for (const [message, event] of exchange) {
      const payload = message.payload;
      const again =
        event.type === 'column'
          ? encodeColumnDefinition(event.column, client.caps)
          : event.type === 'row'
            ? encodeTextRow(decodeTextRow(payload, 3))
            : event.type === 'result-end'
              ? encodeResultSetEnd(event.end, client.caps)
              : event.type === 'columns-end'
                ? payload
                : event.type === 'ok'
                  ? encodeOk(event.ok, client.caps)
                  : encodeColumnCount({ columnCount: 3, metadataFollows: true }, client.caps);
      expect([event.type, again.toString('hex')]).toEqual([event.type, payload.toString('hex')]);
    }
    expect(kinds(exchange).at(-1)).toBe('ok');
  });

  test('prepare with EOFs, SEND_LONG_DATA, execute reusing types, RESET, CLOSE', async () => {
    await client.command(
      query('CREATE TABLE docs (id INT PRIMARY KEY, body MEDIUMBLOB, note VARCHAR(10))', client.caps),
    );
    const prepared = await client.exchange(
      encodeCommand({ type: 'StmtPrepare', sql: 'INSERT INTO docs VALUES (?, ?, ?)' }, client.caps),
      { command: 'prepare' },
    );
    expect(kinds(prepared)).toEqual(['prepare-ok', 'param', 'param', 'param', 'params-end']);
    const id = (prepared[0]![1] as Extract<ResponseEvent, { type: 'prepare-ok' }>).ok.statementId;
    const blob = Buffer.alloc(100_000, 0x42);
    // Long data has no response; the execute then leaves that parameter out of its values.
    client.send(
      encodeCommand(
        { type: 'StmtSendLongData', statementId: id, paramId: 1, data: blob.subarray(0, 60_000) },
        client.caps,
      ),
      0,
    );
    client.send(
      encodeCommand(
        { type: 'StmtSendLongData', statementId: id, paramId: 1, data: blob.subarray(60_000) },
        client.caps,
      ),
      0,
    );
    const params = [
      { type: ColumnType.LONG, unsigned: false, value: 1 },
      { type: ColumnType.BLOB, unsigned: false, value: undefined },
      { type: ColumnType.VAR_STRING, unsigned: false, value: 'first' },
    ];
    const inserted = await client.exchange(encodeStmtExecute({ statementId: id, params }, client.caps), {
      command: 'execute',
    });
    expect(inserted.map(([, e]) => e)).toMatchObject([{ type: 'ok', ok: { affectedRows: 1n } }]);
    // Same types again: new-params-bound 0, values only.
    const reused = encodeStmtExecute(
      {
        statementId: id,
        newParamsBound: false,
        params: [
          { type: ColumnType.LONG, unsigned: false, value: 2 },
          { type: ColumnType.BLOB, unsigned: false, value: Buffer.from('short') },
          { type: ColumnType.VAR_STRING, unsigned: false, value: null },
        ],
      },
      client.caps,
    );
    expect(decodeCommand(reused, client.caps, () => ({ paramCount: 3, paramTypes: params }))).toMatchObject({
      newParamsBound: false,
      params: [{ value: 2 }, { value: Buffer.from('short') }, { value: null }],
    });
    expect((await client.exchange(reused, { command: 'execute' }))[0]![1].type).toBe('ok');
    const reset = await client.exchange(encodeCommand({ type: 'StmtReset', statementId: id }, client.caps), {
      command: 'simple',
    });
    expect(kinds(reset)).toEqual(['ok']);
    client.send(encodeCommand({ type: 'StmtClose', statementId: id }, client.caps), 0);

    const check = await client.command(query('SELECT id, LENGTH(body), note FROM docs ORDER BY id', client.caps));
    expect(rows(check, client.caps).map((r) => decodeTextRow(r.payload, 3).map((c) => c?.toString() ?? null))).toEqual([
      ['1', '100000', 'first'],
      ['2', '5', null],
    ]);
  });

  test('a read-only cursor: execute opens it, FETCH brings the rows in batches', async () => {
    const prepared = await client.exchange(
      encodeCommand({ type: 'StmtPrepare', sql: 'SELECT seq FROM seq_1_to_5' }, client.caps),
      { command: 'prepare' },
    );
    expect(kinds(prepared)).toEqual(['prepare-ok', 'column', 'columns-end']);
    const columns = [...client.responses!.currentColumns];
    const id = (prepared[0]![1] as Extract<ResponseEvent, { type: 'prepare-ok' }>).ok.statementId;
    const opened = await client.exchange(
      encodeStmtExecute({ statementId: id, flags: CursorFlag.READ_ONLY, params: [] }, client.caps),
      { command: 'execute', columns },
    );
    expect(opened.map(([, e]) => e)).toMatchObject([
      { type: 'result-set' },
      { type: 'column' },
      { type: 'columns-end', cursor: true },
    ]);
    const fetch = encodeCommand({ type: 'StmtFetch', statementId: id, rowCount: 3 }, client.caps);
    const batch1 = await client.exchange(fetch, { command: 'fetch', columns });
    expect(kinds(batch1)).toEqual(['row', 'row', 'row', 'result-end']);
    const batch2 = await client.exchange(fetch, { command: 'fetch', columns });
    expect(batch2.filter(([, e]) => e.type === 'row').map(([m]) => decodeBinaryRow(m.payload, columns)[0])).toEqual([
      4n,
      5n,
    ]);
    const end = batch2.at(-1)![1] as Extract<ResponseEvent, { type: 'result-end' }>;
    expect(end.end.statusFlags & ServerStatus.LAST_ROW_SENT).not.toBe(0);
    client.send(encodeCommand({ type: 'StmtClose', statementId: id }, client.caps), 0);
  });

  test('LOAD DATA LOCAL: the reader reports the file request; an empty file answers it', async () => {
    await client.command(query('CREATE TABLE loaded (a INT)', client.caps));
    client.responses!.expect({ command: 'query' });
    client.send(query("LOAD DATA LOCAL INFILE '/tmp/postern-none.csv' INTO TABLE loaded", client.caps), 0);
    const request = await client.next();
    expect(client.responses!.next(request.payload)).toEqual({
      type: 'local-infile',
      filename: '/tmp/postern-none.csv',
    });
    client.send(Buffer.alloc(0), request.lastSequenceId + 1); // the empty packet ends the file
    const reply = await client.next();
    expect(client.responses!.next(reply.payload)).toMatchObject({ type: 'ok', ok: { affectedRows: 0n } });
    expect(client.responses!.done).toBe(true);
  });

  test('SET_OPTION answers EOF; RESET_CONNECTION, INIT_DB, PING answer OK; STATISTICS a string', async () => {
    for (const option of [SetOption.MULTI_STATEMENTS_OFF, SetOption.MULTI_STATEMENTS_ON]) {
      const reply = await client.exchange(encodeCommand({ type: 'SetOption', option }, client.caps), {
        command: 'simple',
      });
      expect(kinds(reply)).toEqual(['eof']);
    }
    for (const command of [
      { type: 'ResetConnection' },
      { type: 'InitDb', database: DATABASE },
      { type: 'Ping' },
    ] as CommandMessage[]) {
      const reply = await client.exchange(encodeCommand(command, client.caps), { command: 'simple' });
      expect([command.type, kinds(reply)]).toEqual([command.type, ['ok']]);
    }
    const stats = await client.exchange(encodeCommand({ type: 'Statistics' }, client.caps), { command: 'statistics' });
    expect(stats[0]![1]).toMatchObject({ type: 'statistics', text: expect.stringMatching(/^Uptime: \d+/) });
    const bad = await client.exchange(encodeCommand({ type: 'InitDb', database: 'no_such_db_here' }, client.caps), {
      command: 'simple',
    });
    expect(bad[0]![1]).toMatchObject({ type: 'err', err: { code: 1049, sqlState: '42000' } });
  });

  test('COM_CHANGE_USER to another user with a password', async () => {
    const user = `wire_cu_${process.pid}`;
    await client.command(query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'change me'`, client.caps));
    try {
      const nonce = scrambleOf(client.handshake.authPluginData);
      client.send(
        encodeCommand(
          {
            type: 'ChangeUser',
            username: user,
            authResponse: nativePassword('change me', nonce),
            database: '',
            characterSet: 45,
            authPluginName: 'mysql_native_password',
          },
          client.caps,
        ),
        0,
      );
      let reply = await client.next();
      let decoded = decodeAuthReply(reply.payload, client.caps);
      if (decoded.type === 'AuthSwitchRequest') {
        client.send(nativePassword('change me', scrambleOf(decoded.request.pluginData)), reply.lastSequenceId + 1);
        reply = await client.next();
        decoded = decodeAuthReply(reply.payload, client.caps);
      }
      expect(decoded.type === 'Err' ? decoded.err : decoded.type).toBe('Ok');
      const who = await client.command(query('SELECT CURRENT_USER()', client.caps));
      expect(decodeTextRow(rows(who, client.caps)[0]!.payload, 1)[0]!.toString()).toBe(`${user}@%`);
    } finally {
      await admin(`DROP USER IF EXISTS '${user}'@'%'`);
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
