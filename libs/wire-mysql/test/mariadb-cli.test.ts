// The real `mariadb` command-line client against a tiny server made of this codec's encoders:
// it must accept our greeting, send a HandshakeResponse41 our decoder reads (with a scramble
// that verifies), print the result set we send, and print our ERR packets as it prints a
// server's.
import { afterEach, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  Capability,
  type CommandMessage,
  ColumnType,
  columnDefinition,
  decodeClientHandshake,
  decodeCommand,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeEof,
  encodeErr,
  encodeHandshakeV10,
  encodeOk,
  encodeResultSetEnd,
  encodeTextRow,
  type HandshakeResponse41,
  nativePasswordHash,
  negotiateCapabilities,
  packet,
  PacketReader,
  ServerStatus,
  type SessionCapabilities,
  verifyNativePassword,
} from '../src/index.js';

const SERVER_FLAGS =
  Capability.PROTOCOL_41 |
  Capability.SECURE_CONNECTION |
  Capability.PLUGIN_AUTH |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.CONNECT_WITH_DB |
  Capability.CONNECT_ATTRS |
  Capability.TRANSACTIONS |
  Capability.MULTI_RESULTS |
  Capability.MULTI_STATEMENTS |
  Capability.DEPRECATE_EOF |
  Capability.SESSION_TRACK |
  Capability.LOCAL_FILES;

interface Seen {
  response?: HandshakeResponse41;
  passwordOk?: boolean;
  commands: CommandMessage[];
}

/** Serves one scripted session per connection; `answer` replies to each COM_QUERY. */
function fakeServer(
  password: string,
  answer: (sql: string, caps: SessionCapabilities) => Buffer[],
): Promise<{ server: Server; port: number; seen: Seen }> {
  const seen: Seen = { commands: [] };
  const server = createServer((socket: Socket) => {
    const nonce = randomBytes(20).map((b) => (b === 0 ? 1 : b));
    const serverCaps = { flags: SERVER_FLAGS >>> 0, mariaDbFlags: 0 };
    let caps: SessionCapabilities | undefined;
    socket.write(
      packet(
        encodeHandshakeV10({
          serverVersion: '5.5.5-10.11.0-postern-test',
          connectionId: 7,
          authPluginData: Buffer.concat([nonce, Buffer.from([0])]),
          capabilityFlags: serverCaps.flags,
          mariaDbCapabilityFlags: 0,
          characterSet: 45,
          statusFlags: ServerStatus.AUTOCOMMIT,
          authPluginName: 'mysql_native_password',
        }),
        0,
      ),
    );
    const reader = new PacketReader();
    socket.on('data', (chunk: Buffer) =>
      reader.parse(chunk, (message) => {
        if (caps === undefined) {
          const hello = decodeClientHandshake(message.payload);
          if (hello.type !== 'HandshakeResponse41') throw new Error('unexpected SSLRequest');
          seen.response = hello.message;
          caps = negotiateCapabilities(serverCaps, { flags: hello.message.capabilityFlags });
          seen.passwordOk = verifyNativePassword(hello.message.authResponse, nonce, nativePasswordHash(password));
          const reply = seen.passwordOk
            ? encodeOk({ statusFlags: ServerStatus.AUTOCOMMIT }, caps)
            : encodeErr({
                code: 1045,
                sqlState: '28000',
                message: `Access denied for user '${hello.message.username}'`,
              });
          socket.write(packet(reply, message.lastSequenceId + 1));
          return;
        }
        const command = decodeCommand(message.payload, caps);
        seen.commands.push(command);
        if (command.type === 'Quit') socket.end();
        else if (command.type === 'Query') {
          const replies = answer(command.sql, caps);
          socket.write(Buffer.concat(replies.map((payload, i) => packet(payload, i + 1))));
        } else socket.write(packet(encodeOk({ statusFlags: ServerStatus.AUTOCOMMIT }, caps), 1));
      }),
    );
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen })),
  );
}

function runClient(port: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'mariadb',
      ['--no-defaults', '--protocol=tcp', '-h127.0.0.1', `-P${port}`, '--connect-timeout=5', ...args],
      { timeout: 10_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
});

const oneRow = (value: string | null) => (_sql: string, caps: SessionCapabilities) => [
  encodeColumnCount({ columnCount: 2, metadataFollows: true }, caps),
  encodeColumnDefinition(
    columnDefinition({ name: 'email', orgName: 'email', table: 'customers', orgTable: 'customers', schema: 'shop' }),
    caps,
  ),
  encodeColumnDefinition(columnDefinition({ name: 'n', type: ColumnType.LONGLONG, characterSet: 63 }), caps),
  // Without CLIENT_DEPRECATE_EOF (the 10.11 CLI does not ask for it) an EOF ends the definitions.
  ...((caps.flags & Capability.DEPRECATE_EOF) === 0
    ? [encodeEof({ warnings: 0, statusFlags: ServerStatus.AUTOCOMMIT }, caps)]
    : []),
  encodeTextRow([value, '42']),
  encodeResultSetEnd({ warnings: 0, statusFlags: ServerStatus.AUTOCOMMIT }, caps),
];

describe('the mariadb CLI against a server built from this codec', () => {
  test('logs in with mysql_native_password, runs a query and prints our rows', async () => {
    const fake = await fakeServer('s3cret', oneRow('a***@example.com'));
    server = fake.server;
    const result = await runClient(fake.port, [
      '-ualice',
      '-ps3cret',
      '-N',
      '-B',
      'shop',
      '-e',
      'SELECT email, 42 FROM customers',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('a***@example.com\t42\n');
    expect(fake.seen.passwordOk).toBe(true);
    expect(fake.seen.response).toMatchObject({
      username: 'alice',
      database: 'shop',
      authPluginName: 'mysql_native_password',
    });
    // The 10.11 CLI asks for session tracking but not for DEPRECATE_EOF.
    expect(fake.seen.response!.capabilityFlags & Capability.SESSION_TRACK).not.toBe(0);
    expect(fake.seen.response!.attributes!.map(([key]) => key)).toEqual(
      expect.arrayContaining(['_client_name', '_pid']),
    );
    expect(fake.seen.commands).toContainEqual({ type: 'Query', sql: 'SELECT email, 42 FROM customers' });
    expect(fake.seen.commands.at(-1)).toEqual({ type: 'Quit' });
  });

  test('prints NULL cells as NULL', async () => {
    const fake = await fakeServer('pw', oneRow(null));
    server = fake.server;
    const result = await runClient(fake.port, ['-ubob', '-ppw', '-N', '-B', '-e', 'SELECT 1']);
    expect(result.stdout).toBe('NULL\t42\n');
  });

  test('a wrong password gets our ERR packet, printed with its code and SQL state', async () => {
    const fake = await fakeServer('right', oneRow('x'));
    server = fake.server;
    const result = await runClient(fake.port, ['-ucarol', '-pwrong', '-e', 'SELECT 1']);
    expect(fake.seen.passwordOk).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("ERROR 1045 (28000): Access denied for user 'carol'");
  });

  test('a refused query gets the gateway ERR the way a server error looks', async () => {
    const refuse = () => [encodeErr({ code: 1227, sqlState: '42000', message: 'DROP TABLE is blocked by Postern' })];
    const fake = await fakeServer('pw', refuse);
    server = fake.server;
    const result = await runClient(fake.port, ['-udave', '-ppw', '-e', 'DROP TABLE customers']);
    expect(result.stderr).toContain('ERROR 1227 (42000) at line 1: DROP TABLE is blocked by Postern');
  });
});
