import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  Capability,
  CLIENT_MYSQL,
  ColumnType,
  CursorFlag,
  decodeAuthReply,
  decodeBinaryRow,
  decodeClientHandshake,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeCommand,
  decodeEof,
  decodeErr,
  decodeHandshakeV10,
  decodeOk,
  decodeStmtExecute,
  decodeStmtPrepareOk,
  decodeTextRow,
  encodeBinaryRow,
  encodeErr,
  encodeResultSetEnd,
  isResultSetEnd,
  lenencAt,
  lenencPrefixSize,
  MariaDbCapability,
  PayloadReader,
  PayloadWriter,
  scrambleOf,
  statementIdOf,
} from './index.js';
import { cstr, lenenc, lstr, text, u16, u32, u8 } from '../test/bytes.js';
import { failure } from '../test/fixtures.js';

const P41 = Capability.PROTOCOL_41;
const caps = (flags: number, mariaDbFlags = 0) => ({ flags: (flags | P41) >>> 0, mariaDbFlags });

describe('length-encoded integers', () => {
  test.each([0, 250, 251, 0xffff, 0x1_0000, 0xff_ffff, 0x100_0000, 2 ** 40])(
    '%d reads back and uses the shortest form',
    (n) => {
      const bytes = lenenc(n);
      expect(new PayloadReader(bytes, 't').lenenc()).toBe(n);
      expect(new PayloadWriter().lenenc(n).finish()).toEqual(bytes);
    },
  );

  test('lenencAt (the allocation-free reader of row scans) agrees with PayloadReader', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 10 }), (raw) => {
        const bytes = Buffer.from(raw);
        const fast = lenencAt(bytes, 0);
        const reader = new PayloadReader(bytes, 't');
        let slow = -1;
        try {
          slow = reader.lenenc();
        } catch {
          // not an integer, or truncated: lenencAt says -1
        }
        expect(fast).toBe(slow);
        if (fast >= 0) expect(lenencPrefixSize(bytes[0]!)).toBe(reader.offset);
      }),
      { numRuns: 2000 },
    );
  });

  test('0xFB and 0xFF are not integers; a truncated one is MALFORMED', () => {
    expect(failure(() => new PayloadReader(Buffer.from([0xfb]), 't').lenenc()).code).toBe('MALFORMED');
    expect(failure(() => new PayloadReader(Buffer.from([0xff]), 't').lenenc()).code).toBe('MALFORMED');
    expect(failure(() => new PayloadReader(Buffer.from([0xfd, 1, 2]), 't').lenenc()).code).toBe('MALFORMED');
    const huge = Buffer.from([0xfe, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    expect(failure(() => new PayloadReader(huge, 't').lenenc()).code).toBe('MALFORMED');
    expect(new PayloadReader(huge, 't').lenencBig()).toBe(0xff00_0000_0000_0000n);
  });
});

describe('HandshakeV10', () => {
  const mysql8 = Buffer.concat([
    u8(10),
    cstr('8.0.36'),
    u32(42),
    text('abcdefgh'),
    u8(0),
    u16(0xffff),
    u8(255),
    u16(2),
    u16(0xdfff),
    u8(21),
    Buffer.alloc(10),
    text('ijklmnopqrst'),
    u8(0),
    cstr('caching_sha2_password'),
  ]);

  test('a MySQL 8 greeting: 20-byte nonce in two parts, no MariaDB capabilities', () => {
    const hs = decodeHandshakeV10(mysql8);
    expect(hs).toMatchObject({ serverVersion: '8.0.36', connectionId: 42, characterSet: 255, statusFlags: 2 });
    expect(hs.capabilityFlags).toBe(0xdfffffff);
    expect(scrambleOf(hs.authPluginData).toString()).toBe('abcdefghijklmnopqrst');
    expect(hs.mariaDbCapabilityFlags).toBe(0);
    expect(hs.authPluginName).toBe('caching_sha2_password');
  });

  test('a MariaDB greeting: CLIENT_MYSQL cleared, extended capabilities in the filler', () => {
    const maria = Buffer.from(mysql8);
    maria[cstr('8.0.36').length + 14] = 0xfe; // lower capability byte: clear bit 0
    maria.writeUInt32LE(
      MariaDbCapability.CACHE_METADATA | MariaDbCapability.PROGRESS,
      1 + 7 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 6,
    );
    const hs = decodeHandshakeV10(maria);
    expect(hs.capabilityFlags & CLIENT_MYSQL).toBe(0);
    expect(hs.mariaDbCapabilityFlags).toBe(MariaDbCapability.CACHE_METADATA | MariaDbCapability.PROGRESS);
  });

  test('a plugin name without its NUL is read to the end (MySQL bug #59453)', () => {
    expect(decodeHandshakeV10(mysql8.subarray(0, mysql8.length - 1)).authPluginName).toBe('caching_sha2_password');
  });

  test('an ERR instead of a greeting, protocol 9 and truncation are refused', () => {
    expect(failure(() => decodeHandshakeV10(encodeErr({ code: 1130, message: 'host not allowed' }))).code).toBe(
      'UNEXPECTED_MESSAGE',
    );
    expect(failure(() => decodeHandshakeV10(Buffer.from([9, 0]))).code).toBe('UNSUPPORTED');
    expect(failure(() => decodeHandshakeV10(mysql8.subarray(0, 30))).code).toBe('MALFORMED');
  });
});

describe('client handshake', () => {
  const head = (flags: number) => Buffer.concat([u32(flags >>> 0), u32(0x100_0000), u8(45), Buffer.alloc(23)]);

  test('32 bytes with CLIENT_SSL is an SSLRequest', () => {
    expect(decodeClientHandshake(head(P41 | Capability.SSL))).toEqual({
      type: 'SslRequest',
      message: {
        capabilityFlags: P41 | Capability.SSL,
        mariaDbCapabilityFlags: 0,
        maxPacketSize: 0x100_0000,
        characterSet: 45,
      },
    });
  });

  test('SECURE_CONNECTION: 1-byte length auth response, database, plugin, attributes', () => {
    const flags =
      P41 |
      Capability.SECURE_CONNECTION |
      Capability.CONNECT_WITH_DB |
      Capability.PLUGIN_AUTH |
      Capability.CONNECT_ATTRS;
    const attrs = Buffer.concat([lstr('_client_name'), lstr('libmariadb'), lstr('_pid'), lstr('77')]);
    const payload = Buffer.concat([
      head(flags),
      cstr('alice'),
      u8(3),
      Buffer.from([1, 0, 2]),
      cstr('shop'),
      cstr('mysql_native_password'),
      lenenc(attrs.length),
      attrs,
    ]);
    const decoded = decodeClientHandshake(payload);
    expect(decoded.type).toBe('HandshakeResponse41');
    expect(decoded.message).toMatchObject({
      username: 'alice',
      authResponse: Buffer.from([1, 0, 2]),
      database: 'shop',
      authPluginName: 'mysql_native_password',
      attributes: [
        ['_client_name', 'libmariadb'],
        ['_pid', '77'],
      ],
    });
  });

  test('LENENC_CLIENT_DATA auth response; a payload ending early leaves the optional fields out', () => {
    const flags = P41 | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.CONNECT_WITH_DB | Capability.PLUGIN_AUTH;
    const token = Buffer.alloc(300, 0x41);
    const decoded = decodeClientHandshake(Buffer.concat([head(flags), cstr('bob'), lenenc(300), token]));
    expect(decoded.message).toEqual({
      capabilityFlags: flags,
      mariaDbCapabilityFlags: 0,
      maxPacketSize: 0x100_0000,
      characterSet: 45,
      username: 'bob',
      authResponse: token,
    });
  });

  test('pre-4.1 responses are unsupported; a username without NUL is MALFORMED', () => {
    expect(failure(() => decodeClientHandshake(Buffer.concat([head(0), cstr('x')]))).code).toBe('UNSUPPORTED');
    expect(failure(() => decodeClientHandshake(Buffer.concat([head(P41), text('x')]))).code).toBe('MALFORMED');
  });
});

describe('OK, ERR, EOF', () => {
  test('OK without session tracking: info is the rest of the payload', () => {
    const ok = decodeOk(
      Buffer.concat([u8(0), lenenc(3), lenenc(70000), u16(2), u16(1), text('Rows matched: 3')]),
      caps(0),
    );
    expect(ok).toEqual({
      header: 0,
      affectedRows: 3n,
      lastInsertId: 70000n,
      statusFlags: 2,
      warnings: 1,
      info: 'Rows matched: 3',
    });
  });

  test('OK with session tracking and a state change', () => {
    const state = Buffer.concat([u8(1), lstr(lstr('shop'))]);
    const payload = Buffer.concat([u8(0), u8(0), u8(0), u16(0x4002), u16(0), lstr(''), lstr(state)]);
    const ok = decodeOk(payload, caps(Capability.SESSION_TRACK));
    expect(ok.sessionState).toEqual(state);
    // MariaDB leaves an empty info out.
    expect(decodeOk(Buffer.from([0, 0, 0, 2, 0, 0, 0]), caps(Capability.SESSION_TRACK)).info).toBe('');
  });

  test('ERR with and without the SQL state marker; building one', () => {
    expect(decodeErr(Buffer.concat([u8(0xff), u16(1045), text('#28000Access denied')]))).toEqual({
      code: 1045,
      sqlState: '28000',
      message: 'Access denied',
    });
    expect(decodeErr(Buffer.concat([u8(0xff), u16(1130), text('Host not allowed')]))).toEqual({
      code: 1130,
      message: 'Host not allowed',
    });
    expect(encodeErr({ code: 1227, sqlState: '42000', message: 'blocked by Postern' })).toEqual(
      Buffer.concat([u8(0xff), u16(1227), text('#42000blocked by Postern')]),
    );
    expect(() => encodeErr({ code: 1, sqlState: 'bad', message: '' })).toThrow(RangeError);
  });

  test('the end of a row list: EOF, or an OK with 0xFE under DEPRECATE_EOF', () => {
    const eof = Buffer.concat([u8(0xfe), u16(0), u16(0x22)]);
    expect(decodeEof(eof, caps(0))).toEqual({ warnings: 0, statusFlags: 0x22 });
    expect(isResultSetEnd(eof, caps(0))).toBe(true);
    const deprecate = caps(Capability.DEPRECATE_EOF);
    const okEnd = encodeResultSetEnd({ warnings: 1, statusFlags: 2 }, deprecate);
    expect(okEnd).toEqual(Buffer.from([0xfe, 0, 0, 2, 0, 1, 0]));
    expect(isResultSetEnd(okEnd, deprecate)).toBe(true);
    // A text row whose first cell is 8-byte length-encoded starts with 0xFE too, but is ≥ 16 MiB.
    expect(isResultSetEnd(Buffer.concat([u8(0xfe), Buffer.alloc(20)]), caps(0))).toBe(false);
  });

  test('auth replies are told apart by their header', () => {
    const c = caps(Capability.PLUGIN_AUTH);
    expect(decodeAuthReply(Buffer.concat([u8(0xfe), cstr('client_ed25519'), Buffer.alloc(32, 7)]), c)).toMatchObject({
      type: 'AuthSwitchRequest',
      request: { pluginName: 'client_ed25519' },
    });
    expect(decodeAuthReply(Buffer.from([1, 4]), c)).toEqual({ type: 'AuthMoreData', data: Buffer.from([4]) });
    expect(failure(() => decodeAuthReply(Buffer.from([0xfe]), c)).code).toBe('UNSUPPORTED');
    expect(
      decodeAuthReply(Buffer.concat([u8(0x02), cstr('authentication_fido_client'), text('challenge')]), c),
    ).toEqual({
      type: 'AuthNextFactor',
      request: { pluginName: 'authentication_fido_client', pluginData: Buffer.from('challenge') },
    });
  });
});

describe('result sets', () => {
  test('column count with MariaDB metadata-follows byte', () => {
    expect(decodeColumnCount(Buffer.from([3]), caps(0))).toEqual({ columnCount: 3, metadataFollows: true });
    expect(decodeColumnCount(Buffer.from([3, 0]), caps(0, MariaDbCapability.CACHE_METADATA))).toEqual({
      columnCount: 3,
      metadataFollows: false,
    });
    expect(failure(() => decodeColumnCount(Buffer.from([3, 0]), caps(0))).code).toBe('MALFORMED');
  });

  test('ColumnDefinition41', () => {
    const payload = Buffer.concat([
      lstr('def'),
      lstr('shop'),
      lstr('c'),
      lstr('customers'),
      lstr('mail'),
      lstr('email'),
      u8(0x0c),
      u16(45),
      u32(1020),
      u8(ColumnType.VAR_STRING),
      u16(0x1001),
      u8(0),
      u16(0),
    ]);
    expect(decodeColumnDefinition(payload, caps(0))).toEqual({
      catalog: 'def',
      schema: 'shop',
      table: 'c',
      orgTable: 'customers',
      name: 'mail',
      orgName: 'email',
      characterSet: 45,
      columnLength: 1020,
      type: ColumnType.VAR_STRING,
      flags: 0x1001,
      decimals: 0,
    });
  });

  test('COM_STMT_PREPARE_OK', () => {
    expect(decodeStmtPrepareOk(Buffer.concat([u8(0), u32(7), u16(2), u16(1), u8(0), u16(0)]))).toEqual({
      statementId: 7,
      columnCount: 2,
      paramCount: 1,
      warnings: 0,
    });
  });

  test('text rows: length-encoded cells and 0xFB for NULL', () => {
    expect(decodeTextRow(Buffer.concat([lstr('1'), u8(0xfb), lstr('')]), 3)).toEqual([
      Buffer.from('1'),
      null,
      Buffer.alloc(0),
    ]);
    expect(failure(() => decodeTextRow(Buffer.concat([lstr('1')]), 2)).code).toBe('MALFORMED');
    expect(failure(() => decodeTextRow(Buffer.concat([lstr('1'), lstr('2')]), 1)).code).toBe('MALFORMED');
  });

  test('binary rows: the NULL bitmap starts at bit 2', () => {
    const columns = [
      { type: ColumnType.LONG, flags: 0 },
      { type: ColumnType.VAR_STRING, flags: 0 },
      { type: ColumnType.DATETIME, flags: 0 },
      { type: ColumnType.SHORT, flags: 32 },
      { type: ColumnType.TIME, flags: 0 },
      { type: ColumnType.LONGLONG, flags: 0 },
      { type: ColumnType.DOUBLE, flags: 0 },
    ];
    // Column 1 NULL → bit 3 of byte 0; bitmap is (7 + 9) / 8 = 2 bytes.
    const payload = Buffer.concat([
      u8(0),
      Buffer.from([0b0000_1000, 0]),
      u32(0xffff_fffe),
      u8(7),
      u16(2024),
      Buffer.from([12, 31, 23, 59, 58]),
      u16(65535),
      u8(8),
      u8(0),
      u32(1),
      Buffer.from([2, 3, 4]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from(new Float64Array([0.5]).buffer),
    ]);
    const values = decodeBinaryRow(payload, columns);
    expect(values).toEqual([
      -2,
      null,
      { year: 2024, month: 12, day: 31, hour: 23, minute: 59, second: 58, microsecond: 0 },
      65535,
      { negative: false, days: 1, hours: 2, minutes: 3, seconds: 4, microseconds: 0 },
      -1n,
      0.5,
    ]);
    expect(encodeBinaryRow(values, columns)).toEqual(payload);
    expect(failure(() => decodeBinaryRow(Buffer.concat([payload, u8(0)]), columns)).code).toBe('MALFORMED');
  });
});

describe('commands', () => {
  test('COM_QUERY with and without CLIENT_QUERY_ATTRIBUTES', () => {
    const plain = Buffer.concat([u8(3), text('SELECT 1')]);
    expect(decodeCommand(plain, caps(0))).toEqual({ type: 'Query', sql: 'SELECT 1' });
    const attributes = Buffer.concat([
      u8(3),
      lenenc(1),
      lenenc(1),
      u8(0),
      u8(1),
      u8(ColumnType.VAR_STRING),
      u8(0),
      lstr('trace_id'),
      lstr('abc'),
      text('SELECT 1'),
    ]);
    expect(decodeCommand(attributes, caps(Capability.QUERY_ATTRIBUTES))).toEqual({
      type: 'Query',
      sql: 'SELECT 1',
      attributes: [{ type: ColumnType.VAR_STRING, unsigned: false, name: 'trace_id', value: Buffer.from('abc') }],
    });
    expect(
      decodeCommand(Buffer.concat([u8(3), u8(0), u8(1), text('SELECT 2')]), caps(Capability.QUERY_ATTRIBUTES)),
    ).toEqual({
      type: 'Query',
      sql: 'SELECT 2',
      attributes: [],
    });
  });

  test('COM_STMT_EXECUTE: types sent, unsigned flag, NULL bitmap', () => {
    const payload = Buffer.concat([
      u8(0x17),
      u32(5),
      u8(CursorFlag.NO_CURSOR),
      u32(1),
      Buffer.from([0b10]),
      u8(1),
      Buffer.from([ColumnType.LONGLONG, 0x80, ColumnType.VAR_STRING, 0, ColumnType.TINY, 0]),
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 0x80]),
      Buffer.from([0x81]),
    ]);
    expect(statementIdOf(payload)).toBe(5);
    expect(decodeStmtExecute(payload, { paramCount: 3 }, caps(0))).toEqual({
      type: 'StmtExecute',
      statementId: 5,
      flags: 0,
      iterationCount: 1,
      newParamsBound: true,
      params: [
        { type: ColumnType.LONGLONG, unsigned: true, value: 0x8000_0000_0000_0001n },
        { type: ColumnType.VAR_STRING, unsigned: false, value: null },
        { type: ColumnType.TINY, unsigned: false, value: -127 },
      ],
    });
  });

  test('COM_STMT_EXECUTE without types reuses the previous ones; long-data parameters have no value', () => {
    const payload = Buffer.concat([u8(0x17), u32(5), u8(0), u32(1), Buffer.from([0]), u8(0), u16(300)]);
    const previous = [
      { type: ColumnType.BLOB, unsigned: false },
      { type: ColumnType.SHORT, unsigned: true },
    ];
    expect(
      decodeStmtExecute(payload, { paramCount: 2, paramTypes: previous, longDataParams: new Set([0]) }, caps(0)).params,
    ).toEqual([
      { type: ColumnType.BLOB, unsigned: false, value: undefined },
      { type: ColumnType.SHORT, unsigned: true, value: 300 },
    ]);
    expect(failure(() => decodeStmtExecute(payload, { paramCount: 2 }, caps(0))).code).toBe('MALFORMED');
    expect(failure(() => decodeCommand(payload, caps(0))).code).toBe('UNEXPECTED_MESSAGE');
  });

  test('small commands', () => {
    expect(decodeCommand(Buffer.from([0x19, 9, 0, 0, 0]), caps(0))).toEqual({ type: 'StmtClose', statementId: 9 });
    expect(decodeCommand(Buffer.concat([u8(0x18), u32(9), u16(1), text('chunk')]), caps(0))).toEqual({
      type: 'StmtSendLongData',
      statementId: 9,
      paramId: 1,
      data: Buffer.from('chunk'),
    });
    expect(decodeCommand(Buffer.concat([u8(0x1c), u32(9), u32(100)]), caps(0))).toEqual({
      type: 'StmtFetch',
      statementId: 9,
      rowCount: 100,
    });
    expect(decodeCommand(Buffer.from([0x1b, 1, 0]), caps(0))).toEqual({ type: 'SetOption', option: 1 });
    expect(decodeCommand(Buffer.concat([u8(2), text('shop')]), caps(0))).toEqual({ type: 'InitDb', database: 'shop' });
    expect(decodeCommand(Buffer.from([0x0e]), caps(0))).toEqual({ type: 'Ping' });
    expect(decodeCommand(Buffer.from([0x1f]), caps(0))).toEqual({ type: 'ResetConnection' });
    expect(failure(() => decodeCommand(Buffer.from([0x01, 0]), caps(0))).code).toBe('MALFORMED');
    expect(failure(() => decodeCommand(Buffer.alloc(0), caps(0))).code).toBe('MALFORMED');
  });

  test('COM_CHANGE_USER', () => {
    const flags = Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH;
    const payload = Buffer.concat([
      u8(0x11),
      cstr('carol'),
      u8(2),
      Buffer.from([9, 9]),
      cstr('shop'),
      u16(45),
      cstr('mysql_native_password'),
    ]);
    expect(decodeCommand(payload, caps(flags))).toEqual({
      type: 'ChangeUser',
      username: 'carol',
      authResponse: Buffer.from([9, 9]),
      database: 'shop',
      characterSet: 45,
      authPluginName: 'mysql_native_password',
    });
  });
});
