// mysql2 (the Node.js driver; `execute()` is the binary protocol) against a server made of this
// codec: its COM_STMT_PREPARE, COM_STMT_EXECUTE (with and without CLIENT_QUERY_ATTRIBUTES, which
// mysql2 3.x asks for) and COM_QUERY are decoded with PreparedStatements, and the binary and
// text results we encode are what mysql2 returns to its caller.
import { afterAll, describe, expect, test } from '@jest/globals';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import {
  type BinaryValue,
  Capability,
  type ColumnDefinition,
  columnDefinition,
  ColumnType,
  type CommandMessage,
  CursorFlag,
  decodeClientHandshake,
  decodeCommand,
  encodeBinaryRow,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeEof,
  encodeHandshakeV10,
  encodeOk,
  encodeResultSetEnd,
  encodeStmtPrepareOk,
  encodeTextRow,
  nativePasswordHash,
  negotiateCapabilities,
  packet,
  PacketReader,
  PreparedStatements,
  ServerStatus,
  type SessionCapabilities,
  verifyNativePassword,
} from '../src/index.js';

const BASE =
  Capability.LONG_PASSWORD |
  Capability.PROTOCOL_41 |
  Capability.SECURE_CONNECTION |
  Capability.PLUGIN_AUTH |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.CONNECT_WITH_DB |
  Capability.CONNECT_ATTRS |
  Capability.TRANSACTIONS |
  Capability.MULTI_RESULTS;

const STATUS = ServerStatus.AUTOCOMMIT;

/** A server that prepares any `SELECT ?, ?, …` and answers an execute with its parameters echoed as one row. */
class EchoServer {
  readonly commands: CommandMessage[] = [];
  loginOk = false;
  private readonly server: Server;

  constructor(private readonly flags: number) {
    this.server = createServer((socket) => this.serve(socket));
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)),
    );
  }

  close(): void {
    this.server.close();
  }

  private serve(socket: Socket): void {
    const nonce = randomBytes(20).map((b) => (b === 0 ? 1 : b));
    const server = { flags: this.flags >>> 0 };
    let caps: SessionCapabilities | undefined;
    const statements = new PreparedStatements();
    let nextId = 1;
    const send = (payloads: Buffer[], first = 1) =>
      socket.write(Buffer.concat(payloads.map((payload, i) => packet(payload, first + i))));
    socket.write(
      packet(
        encodeHandshakeV10({
          serverVersion: '8.0.36-postern-test',
          connectionId: 1,
          authPluginData: Buffer.concat([nonce, Buffer.from([0])]),
          capabilityFlags: server.flags,
          mariaDbCapabilityFlags: 0,
          characterSet: 45,
          statusFlags: STATUS,
          authPluginName: 'mysql_native_password',
        }),
        0,
      ),
    );
    const reader = new PacketReader();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) =>
      reader.parse(chunk, (message) => {
        if (caps === undefined) {
          const hello = decodeClientHandshake(message.payload);
          if (hello.type !== 'HandshakeResponse41') throw new Error('no TLS here');
          caps = negotiateCapabilities(server, { flags: hello.message.capabilityFlags });
          this.loginOk = verifyNativePassword(hello.message.authResponse, nonce, nativePasswordHash('pw'));
          send([encodeOk({ statusFlags: STATUS }, caps)], message.lastSequenceId + 1);
          return;
        }
        const command = decodeCommand(message.payload, caps, statements.lookup);
        statements.observe(command);
        this.commands.push(command);
        const eofs = (caps.flags & Capability.DEPRECATE_EOF) === 0;
        const eof = encodeEof({ warnings: 0, statusFlags: STATUS }, caps);
        if (command.type === 'StmtPrepare') {
          const count = (command.sql.match(/\?/g) ?? []).length;
          const id = nextId++;
          const params = Array.from({ length: count }, () => columnDefinition({ name: '?' }));
          const columns = Array.from({ length: count }, (_, i) => columnDefinition({ name: `c${i}` }));
          statements.add({ statementId: id, columnCount: count, paramCount: count, warnings: 0 }, columns, command.sql);
          const definitions = (list: ColumnDefinition[]) =>
            list.length === 0 ? [] : [...list.map((c) => encodeColumnDefinition(c, caps!)), ...(eofs ? [eof] : [])];
          send([
            encodeStmtPrepareOk({ statementId: id, columnCount: count, paramCount: count, warnings: 0 }),
            ...definitions(params),
            ...definitions(columns),
          ]);
        } else if (command.type === 'StmtExecute') {
          // Echo: one column per parameter, of the parameter's type.
          const columns = command.params.map((p, i) =>
            columnDefinition({
              name: `c${i}`,
              type: p.type === ColumnType.NULL ? ColumnType.VAR_STRING : p.type,
              flags: p.unsigned ? 32 : 0,
              characterSet: p.type === ColumnType.BLOB ? 63 : 45,
            }),
          );
          const values = command.params.map((p) => (p.value === undefined ? null : p.value)) as BinaryValue[];
          send([
            encodeColumnCount({ columnCount: columns.length, metadataFollows: true }, caps),
            ...columns.map((c) => encodeColumnDefinition(c, caps!)),
            ...(eofs ? [eof] : []),
            encodeBinaryRow(values, columns),
            encodeResultSetEnd({ warnings: 0, statusFlags: STATUS }, caps),
          ]);
        } else if (command.type === 'Query') {
          send([
            encodeColumnCount({ columnCount: 1, metadataFollows: true }, caps),
            encodeColumnDefinition(columnDefinition({ name: 'sql' }), caps),
            ...(eofs ? [eof] : []),
            encodeTextRow([command.sql]),
            encodeResultSetEnd({ warnings: 0, statusFlags: STATUS }, caps),
          ]);
        } else if (command.type === 'Quit') {
          socket.end();
        } else if (command.type !== 'StmtClose') {
          send([encodeOk({ statusFlags: STATUS }, caps)]);
        }
      }),
    );
  }
}

describe.each([
  ['classic EOF, no query attributes', BASE],
  ['DEPRECATE_EOF and QUERY_ATTRIBUTES', BASE | Capability.DEPRECATE_EOF | Capability.QUERY_ATTRIBUTES],
])('mysql2 against the codec (%s)', (_name, flags) => {
  const server = new EchoServer(flags);
  afterAll(() => server.close());

  test('execute(): parameters decoded from the binary protocol, rows encoded back', async () => {
    const port = await server.listen();
    const connection = await mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'app',
      password: 'pw',
      database: 'shop',
    });
    try {
      expect(server.loginOk).toBe(true);
      const when = new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 123));
      const [rows] = await connection.execute('SELECT ?, ?, ?, ?, ?, ?', [
        42,
        -7.5,
        'héllo',
        null,
        Buffer.from([0, 1, 2]),
        12345678901234n,
      ]);
      const row = (rows as Record<string, unknown>[])[0]!;
      expect(Object.values(row)).toEqual([42, -7.5, 'héllo', null, Buffer.from([0, 1, 2]), expect.anything()]);
      expect(String(row.c5)).toBe('12345678901234');

      const execute = server.commands.find((c) => c.type === 'StmtExecute')!;
      expect(execute).toMatchObject({ type: 'StmtExecute', newParamsBound: true, iterationCount: 1 });
      const params = (execute as Extract<CommandMessage, { type: 'StmtExecute' }>).params;
      // mysql2 binds JS numbers as DOUBLE and bigints as strings; with QUERY_ATTRIBUTES it sets
      // PARAMETER_COUNT_AVAILABLE and sends an (empty) name per parameter.
      const attributes = (flags & Capability.QUERY_ATTRIBUTES) !== 0;
      expect((execute as Extract<CommandMessage, { type: 'StmtExecute' }>).flags).toBe(
        attributes ? CursorFlag.PARAMETER_COUNT_AVAILABLE : 0,
      );
      expect(params.map((p) => p.type)).toEqual([
        ColumnType.DOUBLE,
        ColumnType.DOUBLE,
        ColumnType.VAR_STRING,
        ColumnType.NULL,
        ColumnType.BLOB,
        ColumnType.VAR_STRING,
      ]);
      expect(params.every((p) => p.name === (attributes ? '' : undefined))).toBe(true);
      expect(params.map((p) => p.value)).toEqual([
        42,
        -7.5,
        Buffer.from('héllo'),
        null,
        Buffer.from([0, 1, 2]),
        Buffer.from('12345678901234'),
      ]);

      // A second execute of the cached statement, and a date parameter.
      await connection.execute('SELECT ?, ?, ?, ?, ?, ?', [1, 2, 'x', 'y', Buffer.alloc(0), 3n]);
      const [dated] = await connection.execute('SELECT ?', [when]);
      const dateParam = (server.commands.at(-1) as Extract<CommandMessage, { type: 'StmtExecute' }>).params[0]!;
      expect(dateParam.type).toBe(ColumnType.DATETIME);
      expect((dated as Record<string, unknown>[])[0]!.c0).toBeInstanceOf(Date);

      const [text] = await connection.query('SELECT 1');
      expect((text as Record<string, unknown>[])[0]).toEqual({ sql: 'SELECT 1' });
      const query = server.commands.find((c) => c.type === 'Query')!;
      expect(query).toEqual(
        attributes ? { type: 'Query', sql: 'SELECT 1', attributes: [] } : { type: 'Query', sql: 'SELECT 1' },
      );
    } finally {
      await connection.end();
    }
  });
});
