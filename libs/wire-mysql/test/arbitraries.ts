// fast-check arbitraries for every message, built so that encode → decode gives the message back.
import fc from 'fast-check';
import {
  type BinaryValue,
  Capability,
  CLIENT_MYSQL,
  type ColumnDefinition,
  ColumnFlag,
  ColumnType,
  type CommandMessage,
  type HandshakeResponse41,
  type HandshakeV10,
  MariaDbCapability,
  type SessionCapabilities,
} from '../src/index.js';

export const str = fc.string({ maxLength: 20, unit: 'binary' });
export const noNul = str.filter((s) => !s.includes('\0'));
export const bytes = (maxLength = 40) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const anyFlags = u32;

/** Session capabilities (always PROTOCOL_41: the codec speaks nothing older). */
export const capabilities: fc.Arbitrary<SessionCapabilities> = fc
  .record({ flags: anyFlags, mariaDbFlags: fc.integer({ min: 0, max: 63 }) })
  .map(({ flags, mariaDbFlags }) => ({ flags: (flags | Capability.PROTOCOL_41) >>> 0, mariaDbFlags }));

export const handshakeV10: fc.Arbitrary<HandshakeV10> = fc
  .record({
    serverVersion: noNul,
    connectionId: u32,
    flags: anyFlags,
    extraData: bytes(40),
    part1: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    part2: fc.uint8Array({ minLength: 13, maxLength: 13 }),
    mariaDb: u32,
    characterSet: u8,
    statusFlags: u16,
    authPluginName: noNul,
  })
  .map((r) => {
    const flags = r.flags >>> 0;
    const secure = (flags & Capability.SECURE_CONNECTION) !== 0;
    const plugin = (flags & Capability.PLUGIN_AUTH) !== 0;
    const data = Buffer.concat([r.part1, ...(secure ? [r.part2, plugin ? r.extraData : Buffer.alloc(0)] : [])]);
    return {
      serverVersion: r.serverVersion,
      connectionId: r.connectionId,
      authPluginData: data.subarray(0, 255),
      capabilityFlags: flags,
      mariaDbCapabilityFlags: (flags & CLIENT_MYSQL) === 0 ? r.mariaDb : 0,
      characterSet: r.characterSet,
      statusFlags: r.statusFlags,
      authPluginName: plugin ? r.authPluginName : '',
    };
  });

const attributes = fc.array(fc.tuple(str, str), { maxLength: 4 });

export const handshakeResponse41: fc.Arbitrary<HandshakeResponse41> = fc
  .record({
    flags: anyFlags,
    mariaDb: u32,
    maxPacketSize: u32,
    characterSet: u8,
    username: noNul,
    authResponse: bytes(300),
    database: noNul,
    authPluginName: noNul,
    attributes,
    zstd: u8,
    cut: fc.nat(4),
  })
  .map((r) => {
    const flags = (r.flags | Capability.PROTOCOL_41) >>> 0;
    const has = (bit: number) => (flags & bit) >>> 0 !== 0;
    let authResponse = r.authResponse;
    if (!has(Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
      authResponse = has(Capability.SECURE_CONNECTION)
        ? authResponse.subarray(0, 255)
        : Buffer.from(authResponse.filter((b) => b !== 0));
    }
    const message: HandshakeResponse41 = {
      capabilityFlags: flags,
      mariaDbCapabilityFlags: (flags & CLIENT_MYSQL) === 0 ? r.mariaDb : 0,
      maxPacketSize: r.maxPacketSize,
      characterSet: r.characterSet,
      username: r.username,
      authResponse,
    };
    // Optional fields: a prefix of those the flags enable.
    let slot = 0;
    if (has(Capability.CONNECT_WITH_DB) && slot++ < r.cut) message.database = r.database;
    if (has(Capability.PLUGIN_AUTH) && slot++ < r.cut) message.authPluginName = r.authPluginName;
    if (has(Capability.CONNECT_ATTRS) && slot++ < r.cut) message.attributes = r.attributes;
    if (has(Capability.ZSTD_COMPRESSION_ALGORITHM) && slot++ < r.cut) message.zstdCompressionLevel = r.zstd;
    return message;
  });

/** A column type with a value of that type (never NULL: NULL goes through the bitmap). */
export const typedValue: fc.Arbitrary<{ type: number; unsigned: boolean; value: BinaryValue }> = fc.oneof(
  fc.record({
    type: fc.constant(ColumnType.TINY),
    unsigned: fc.constant(false),
    value: fc.integer({ min: -128, max: 127 }),
  }),
  fc.record({ type: fc.constant(ColumnType.TINY), unsigned: fc.constant(true), value: u8 }),
  fc.record({
    type: fc.constant(ColumnType.SHORT),
    unsigned: fc.constant(false),
    value: fc.integer({ min: -32768, max: 32767 }),
  }),
  fc.record({ type: fc.constant(ColumnType.YEAR), unsigned: fc.boolean(), value: u16 }),
  fc.record({
    type: fc.constantFrom(ColumnType.LONG, ColumnType.INT24),
    unsigned: fc.constant(false),
    value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  fc.record({ type: fc.constant(ColumnType.LONG), unsigned: fc.constant(true), value: u32 }),
  fc.record({
    type: fc.constant(ColumnType.LONGLONG),
    unsigned: fc.constant(false),
    value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  }),
  fc.record({ type: fc.constant(ColumnType.LONGLONG), unsigned: fc.constant(true), value: u64 }),
  fc.record({ type: fc.constant(ColumnType.FLOAT), unsigned: fc.constant(false), value: fc.float({ noNaN: true }) }),
  fc.record({ type: fc.constant(ColumnType.DOUBLE), unsigned: fc.constant(false), value: fc.double({ noNaN: true }) }),
  fc.record({
    type: fc.constantFrom(ColumnType.DATE, ColumnType.DATETIME, ColumnType.TIMESTAMP),
    unsigned: fc.constant(false),
    value: fc.record({ year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8, microsecond: u32 }),
  }),
  fc.record({
    type: fc.constant(ColumnType.TIME),
    unsigned: fc.constant(false),
    value: fc
      .record({ negative: fc.boolean(), days: u32, hours: u8, minutes: u8, seconds: u8, microseconds: u32 })
      .map((t) => (t.days + t.hours + t.minutes + t.seconds + t.microseconds === 0 ? { ...t, negative: false } : t)),
  }),
  fc.record({
    type: fc.constantFrom(
      ColumnType.VAR_STRING,
      ColumnType.STRING,
      ColumnType.BLOB,
      ColumnType.NEWDECIMAL,
      ColumnType.JSON,
      ColumnType.BIT,
      ColumnType.ENUM,
      ColumnType.GEOMETRY,
    ),
    unsigned: fc.constant(false),
    value: bytes(300),
  }),
);

/** Columns with one row of values (some NULL). */
export const binaryRow = fc.array(fc.tuple(typedValue, fc.boolean()), { maxLength: 20 }).map((cells) => ({
  columns: cells.map(([c]) => ({ type: c.type, flags: c.unsigned ? ColumnFlag.UNSIGNED : 0 })),
  values: cells.map(([c, isNull]) => (isNull ? null : c.value)),
}));

export const textRow = fc.array(fc.option(bytes(300), { nil: null }), { maxLength: 20 });

export const columnDefinition = (caps: SessionCapabilities): fc.Arbitrary<ColumnDefinition> =>
  fc
    .record({
      catalog: str,
      schema: str,
      table: str,
      orgTable: str,
      name: str,
      orgName: str,
      extendedTypeInfo: bytes(20),
      characterSet: u16,
      columnLength: u32,
      type: u8,
      flags: u16,
      decimals: u8,
    })
    .map(({ extendedTypeInfo, ...column }) =>
      ((caps.mariaDbFlags ?? 0) & MariaDbCapability.EXTENDED_METADATA) !== 0 ? { ...column, extendedTypeInfo } : column,
    );

/** A bound value list: parameters, or query attributes (named) when `named`. */
const boundValues = (named: boolean) =>
  fc.array(fc.tuple(typedValue, fc.boolean(), noNul), { maxLength: 8 }).map((list) =>
    list.map(([v, isNull, name]) => ({
      type: v.type,
      unsigned: v.unsigned,
      value: isNull ? null : v.value,
      ...(named ? { name } : {}),
    })),
  );

/** A command with the capabilities it is encoded under. */
export const command: fc.Arbitrary<[CommandMessage, SessionCapabilities]> = capabilities.chain((caps) => {
  const attrs = (caps.flags & Capability.QUERY_ATTRIBUTES) !== 0;
  const has = (bit: number) => (caps.flags & bit) >>> 0 !== 0;
  const commandArb: fc.Arbitrary<CommandMessage> = fc.oneof(
    fc.constantFrom<CommandMessage>(
      { type: 'Quit' },
      { type: 'Ping' },
      { type: 'ResetConnection' },
      { type: 'Statistics' },
      { type: 'Debug' },
    ),
    str.map((database) => ({ type: 'InitDb' as const, database })),
    fc
      .record({ sql: str, attributes: boundValues(true) })
      .map(({ sql, attributes }) =>
        attrs ? { type: 'Query' as const, sql, attributes } : { type: 'Query' as const, sql },
      ),
    str.map((sql) => ({ type: 'StmtPrepare' as const, sql })),
    fc
      .record({ statementId: u32, flags: fc.constantFrom(0, 1, 2, 4), iterationCount: u32, params: boundValues(attrs) })
      .map((r) => ({ type: 'StmtExecute' as const, ...r, newParamsBound: r.params.length > 0 })),
    fc
      .record({ statementId: u32, paramId: u16, data: bytes() })
      .map((r) => ({ type: 'StmtSendLongData' as const, ...r })),
    u32.map((statementId) => ({ type: 'StmtClose' as const, statementId })),
    u32.map((statementId) => ({ type: 'StmtReset' as const, statementId })),
    fc.record({ statementId: u32, rowCount: u32 }).map((r) => ({ type: 'StmtFetch' as const, ...r })),
    u16.map((option) => ({ type: 'SetOption' as const, option })),
    u32.map((connectionId) => ({ type: 'ProcessKill' as const, connectionId })),
    fc
      .record({
        username: noNul,
        auth: bytes(255),
        database: noNul,
        characterSet: u16,
        plugin: noNul,
        attributes,
        cut: fc.nat(3),
      })
      .map((r) => {
        const message: CommandMessage = {
          type: 'ChangeUser',
          username: r.username,
          authResponse: has(Capability.SECURE_CONNECTION) ? r.auth : Buffer.from(r.auth.filter((b) => b !== 0)),
          database: r.database,
        };
        if (r.cut >= 1) {
          message.characterSet = r.characterSet;
          const withAttributes = has(Capability.CONNECT_ATTRS);
          if (has(Capability.PLUGIN_AUTH) && (r.cut >= 2 || withAttributes)) message.authPluginName = r.plugin;
          if (withAttributes) message.attributes = r.cut >= 3 ? r.attributes : [];
        }
        return message;
      }),
    fc
      .record({ command: fc.constantFrom(0x00, 0x04, 0x05, 0x20, 0xfa, 0xfe, 0x99), body: bytes() })
      .map((r) => ({ type: 'Other' as const, ...r })),
  );
  return commandArb.map((message) => [message, caps] as [CommandMessage, SessionCapabilities]);
});
