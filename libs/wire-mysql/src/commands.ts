// Client commands (the command phase): one decoder and one encoder per command, and
// `decodeCommand` / `encodeCommand` over the union. Every command payload starts with its
// command byte (`Command.*`); the packet's sequence id is 0.
import { readBinaryValue, writeBinaryValue, type BinaryValue, type ParamType } from './binary-values.js';
import { hasCapability, type SessionCapabilities } from './capabilities.js';
import { Capability, ColumnType, Command, CursorFlag, PARAM_UNSIGNED } from './constants.js';
import { malformed, unexpected } from './errors.js';
import { PayloadReader } from './reader.js';
import { PayloadWriter } from './writer.js';

/** A bound value with its type: a COM_STMT_EXECUTE parameter or a COM_QUERY attribute. */
export interface BoundValue extends ParamType {
  /** Query attributes (CLIENT_QUERY_ATTRIBUTES) have names; statement parameters have '' there. */
  name?: string;
  /** null is SQL NULL; undefined marks a parameter whose value came by COM_STMT_SEND_LONG_DATA. */
  value: BinaryValue | string | undefined;
}

export interface QueryCommand {
  type: 'Query';
  sql: string;
  /** Query attributes (MySQL 8 CLIENT_QUERY_ATTRIBUTES layout); undefined without that capability. */
  attributes?: BoundValue[];
}

export interface StmtExecuteCommand {
  type: 'StmtExecute';
  statementId: number;
  /** `CursorFlag.*`. */
  flags: number;
  iterationCount: number;
  /** Whether the types were sent with this execute (new-params-bound flag). */
  newParamsBound: boolean;
  /** One per parameter (and per query attribute after them, with CLIENT_QUERY_ATTRIBUTES). */
  params: BoundValue[];
}

export interface ChangeUserCommand {
  type: 'ChangeUser';
  username: string;
  authResponse: Buffer;
  database: string;
  /** Absent when the client ended the payload after the database. */
  characterSet?: number;
  authPluginName?: string;
  attributes?: [string, string][];
}

export type CommandMessage =
  | { type: 'Quit' }
  | { type: 'Ping' }
  | { type: 'ResetConnection' }
  | { type: 'Statistics' }
  | { type: 'Debug' }
  | { type: 'InitDb'; database: string }
  | QueryCommand
  | { type: 'StmtPrepare'; sql: string }
  | StmtExecuteCommand
  | { type: 'StmtSendLongData'; statementId: number; paramId: number; data: Buffer }
  | { type: 'StmtClose'; statementId: number }
  | { type: 'StmtReset'; statementId: number }
  | { type: 'StmtFetch'; statementId: number; rowCount: number }
  | { type: 'SetOption'; option: number }
  | { type: 'ProcessKill'; connectionId: number }
  | ChangeUserCommand
  /** Any other command byte: the body is kept raw (a view). */
  | { type: 'Other'; command: number; body: Buffer };

/** What COM_STMT_EXECUTE decoding needs to know about the prepared statement. */
export interface PreparedStatementInfo {
  /** `paramCount` from the statement's COM_STMT_PREPARE_OK. */
  paramCount: number;
  /** Types bound by the previous execute, used when this one does not send them. */
  paramTypes?: readonly ParamType[];
  /** Parameters whose value was sent with COM_STMT_SEND_LONG_DATA since the last execute/reset. */
  longDataParams?: ReadonlySet<number>;
}

const SIMPLE: Record<number, CommandMessage['type']> = {
  [Command.QUIT]: 'Quit',
  [Command.PING]: 'Ping',
  [Command.RESET_CONNECTION]: 'ResetConnection',
  [Command.STATISTICS]: 'Statistics',
  [Command.DEBUG]: 'Debug',
};

/** The command byte of a command payload (cheap; undefined for an empty payload). */
export function commandOf(payload: Buffer): number | undefined {
  return payload[0];
}

/** The statement id of COM_STMT_EXECUTE/CLOSE/RESET/FETCH/SEND_LONG_DATA, without decoding the rest. */
export function statementIdOf(payload: Buffer): number {
  if (payload.length < 5) throw malformed('statement command: payload ends early');
  return payload.readUInt32LE(1);
}

/**
 * Decodes a client command. COM_STMT_EXECUTE needs the statement's parameter count (and the
 * types of its previous execute): `statement` looks them up by id; without it, or for an
 * unknown id, decoding an execute throws UNEXPECTED_MESSAGE (use `decodeStmtExecute`).
 */
export function decodeCommand(
  payload: Buffer,
  capabilities: SessionCapabilities,
  statement?: (statementId: number) => PreparedStatementInfo | undefined,
): CommandMessage {
  if (payload.length === 0) throw malformed('empty command payload');
  const command = payload[0]!;
  const simple = SIMPLE[command];
  if (simple !== undefined) {
    if (payload.length !== 1) throw malformed(`${simple}: unexpected trailing bytes`);
    return { type: simple } as CommandMessage;
  }
  const reader = new PayloadReader(payload, `command 0x${command.toString(16)}`, 1);
  switch (command) {
    case Command.INIT_DB:
      return { type: 'InitDb', database: reader.rest().toString('utf8') };
    case Command.QUERY:
      return decodeQuery(payload, capabilities);
    case Command.STMT_PREPARE:
      return { type: 'StmtPrepare', sql: reader.rest().toString('utf8') };
    case Command.STMT_EXECUTE: {
      const info = statement?.(statementIdOf(payload));
      if (info === undefined) throw unexpected('COM_STMT_EXECUTE for a statement this session did not prepare');
      return decodeStmtExecute(payload, info, capabilities);
    }
    case Command.STMT_SEND_LONG_DATA: {
      const statementId = reader.u32();
      return { type: 'StmtSendLongData', statementId, paramId: reader.u16(), data: reader.rest() };
    }
    case Command.STMT_CLOSE:
    case Command.STMT_RESET: {
      const statementId = reader.u32();
      reader.end();
      return { type: command === Command.STMT_CLOSE ? 'StmtClose' : 'StmtReset', statementId };
    }
    case Command.STMT_FETCH: {
      const statementId = reader.u32();
      const rowCount = reader.u32();
      reader.end();
      return { type: 'StmtFetch', statementId, rowCount };
    }
    case Command.SET_OPTION: {
      const option = reader.u16();
      reader.end();
      return { type: 'SetOption', option };
    }
    case Command.PROCESS_KILL: {
      const connectionId = reader.u32();
      reader.end();
      return { type: 'ProcessKill', connectionId };
    }
    case Command.CHANGE_USER:
      return decodeChangeUser(payload, capabilities);
    default:
      return { type: 'Other', command, body: payload.subarray(1) };
  }
}

export function encodeCommand(message: CommandMessage, capabilities: SessionCapabilities): Buffer {
  switch (message.type) {
    case 'Quit':
      return Buffer.from([Command.QUIT]);
    case 'Ping':
      return Buffer.from([Command.PING]);
    case 'ResetConnection':
      return Buffer.from([Command.RESET_CONNECTION]);
    case 'Statistics':
      return Buffer.from([Command.STATISTICS]);
    case 'Debug':
      return Buffer.from([Command.DEBUG]);
    case 'InitDb':
      return new PayloadWriter().u8(Command.INIT_DB).bytes(message.database).finish();
    case 'Query':
      return encodeQuery(message, capabilities);
    case 'StmtPrepare':
      return new PayloadWriter(1 + message.sql.length).u8(Command.STMT_PREPARE).bytes(message.sql).finish();
    case 'StmtExecute':
      return encodeStmtExecute(message, capabilities);
    case 'StmtSendLongData':
      return new PayloadWriter(7 + message.data.length)
        .u8(Command.STMT_SEND_LONG_DATA)
        .u32(message.statementId)
        .u16(message.paramId)
        .bytes(message.data)
        .finish();
    case 'StmtClose':
      return new PayloadWriter(5).u8(Command.STMT_CLOSE).u32(message.statementId).finish();
    case 'StmtReset':
      return new PayloadWriter(5).u8(Command.STMT_RESET).u32(message.statementId).finish();
    case 'StmtFetch':
      return new PayloadWriter(9).u8(Command.STMT_FETCH).u32(message.statementId).u32(message.rowCount).finish();
    case 'SetOption':
      return new PayloadWriter(3).u8(Command.SET_OPTION).u16(message.option).finish();
    case 'ProcessKill':
      return new PayloadWriter(5).u8(Command.PROCESS_KILL).u32(message.connectionId).finish();
    case 'ChangeUser':
      return encodeChangeUser(message, capabilities);
    case 'Other':
      return new PayloadWriter(1 + message.body.length).u8(message.command).bytes(message.body).finish();
  }
}

// ------------------------------------------------------------------ COM_QUERY

/** The SQL of a COM_QUERY, skipping query attributes without decoding their values. */
export function querySql(payload: Buffer, capabilities: SessionCapabilities): string {
  return decodeQuery(payload, capabilities).sql;
}

export function decodeQuery(payload: Buffer, capabilities: SessionCapabilities): QueryCommand {
  const reader = new PayloadReader(payload, 'COM_QUERY');
  if (reader.u8() !== Command.QUERY) throw unexpected('expected COM_QUERY');
  if (!hasCapability(capabilities.flags, Capability.QUERY_ATTRIBUTES)) {
    return { type: 'Query', sql: reader.rest().toString('utf8') };
  }
  const count = reader.lenenc();
  const setCount = reader.lenenc();
  if (setCount !== 1) throw malformed(`COM_QUERY: parameter set count ${setCount}, not 1`);
  const attributes = count > 0 ? readBoundValues(reader, count, true, undefined, undefined).values : [];
  return { type: 'Query', sql: reader.rest().toString('utf8'), attributes };
}

export function encodeQuery(message: Omit<QueryCommand, 'type'>, capabilities: SessionCapabilities): Buffer {
  const writer = new PayloadWriter(16 + message.sql.length).u8(Command.QUERY);
  if (hasCapability(capabilities.flags, Capability.QUERY_ATTRIBUTES)) {
    const attributes = message.attributes ?? [];
    writer.lenenc(attributes.length).lenenc(1);
    if (attributes.length > 0) writeBoundValues(writer, attributes, true, true);
  } else if (message.attributes !== undefined && message.attributes.length > 0) {
    throw new RangeError('query attributes need CLIENT_QUERY_ATTRIBUTES');
  }
  return writer.bytes(message.sql).finish();
}

// ------------------------------------------------------------------ COM_STMT_EXECUTE

export function decodeStmtExecute(
  payload: Buffer,
  statement: PreparedStatementInfo,
  capabilities: SessionCapabilities,
): StmtExecuteCommand {
  const reader = new PayloadReader(payload, 'COM_STMT_EXECUTE');
  if (reader.u8() !== Command.STMT_EXECUTE) throw unexpected('expected COM_STMT_EXECUTE');
  const statementId = reader.u32();
  const flags = reader.u8();
  const iterationCount = reader.u32();
  const attributes = hasCapability(capabilities.flags, Capability.QUERY_ATTRIBUTES);
  let count = statement.paramCount;
  if (attributes && (flags & CursorFlag.PARAMETER_COUNT_AVAILABLE) !== 0) count = reader.lenenc();
  const message: StmtExecuteCommand = {
    type: 'StmtExecute',
    statementId,
    flags,
    iterationCount,
    newParamsBound: false,
    params: [],
  };
  if (count > 0) {
    const bound = readBoundValues(reader, count, attributes, statement.paramTypes, statement.longDataParams);
    message.newParamsBound = bound.newParamsBound;
    message.params = bound.values;
  }
  reader.end();
  return message;
}

export interface StmtExecuteOptions {
  statementId: number;
  flags?: number;
  iterationCount?: number;
  /** Send the types (default true; false reuses the previous execute's types on the server). */
  newParamsBound?: boolean;
  params: readonly BoundValue[];
}

export function encodeStmtExecute(message: StmtExecuteOptions, capabilities: SessionCapabilities): Buffer {
  const attributes = hasCapability(capabilities.flags, Capability.QUERY_ATTRIBUTES);
  const flags = message.flags ?? CursorFlag.NO_CURSOR;
  const writer = new PayloadWriter(64)
    .u8(Command.STMT_EXECUTE)
    .u32(message.statementId)
    .u8(flags)
    .u32(message.iterationCount ?? 1);
  if (attributes && (flags & CursorFlag.PARAMETER_COUNT_AVAILABLE) !== 0) writer.lenenc(message.params.length);
  if (message.params.length > 0) writeBoundValues(writer, message.params, message.newParamsBound ?? true, attributes);
  return writer.finish();
}

function readBoundValues(
  reader: PayloadReader,
  count: number,
  named: boolean,
  previousTypes: readonly ParamType[] | undefined,
  longData: ReadonlySet<number> | undefined,
): { newParamsBound: boolean; values: BoundValue[] } {
  const bitmap = reader.bytes((count + 7) >> 3);
  const newParamsBound = reader.u8() === 1;
  const types: (ParamType & { name?: string })[] = [];
  if (newParamsBound) {
    reader.checkCount(count, named ? 3 : 2);
    for (let i = 0; i < count; i++) {
      const type = reader.u8();
      const flag = reader.u8();
      const entry: ParamType & { name?: string } = { type, unsigned: (flag & PARAM_UNSIGNED) !== 0 };
      if (named) entry.name = reader.lenencString();
      types.push(entry);
    }
  } else {
    if (previousTypes === undefined || previousTypes.length < count) {
      throw malformed('COM_STMT_EXECUTE without types, and no types from a previous execute');
    }
    for (let i = 0; i < count; i++) types.push({ type: previousTypes[i]!.type, unsigned: previousTypes[i]!.unsigned });
  }
  const values: BoundValue[] = types.map((entry, i) => {
    let value: BoundValue['value'];
    if ((bitmap[i >> 3]! & (1 << (i & 7))) !== 0) value = null;
    else if (longData?.has(i)) value = undefined;
    else value = readBinaryValue(reader, entry.type, entry.unsigned);
    return { ...entry, value };
  });
  return { newParamsBound, values };
}

function writeBoundValues(
  writer: PayloadWriter,
  values: readonly BoundValue[],
  sendTypes: boolean,
  named: boolean,
): void {
  const bitmap = Buffer.alloc((values.length + 7) >> 3);
  values.forEach((param, i) => {
    if (param.value === null) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  writer.bytes(bitmap).u8(sendTypes ? 1 : 0);
  if (sendTypes) {
    for (const param of values) {
      writer.u8(param.type).u8(param.unsigned ? PARAM_UNSIGNED : 0);
      if (named) writer.lenencBytes(param.name ?? '');
    }
  }
  for (const param of values) {
    if (param.value === null || param.value === undefined || param.type === ColumnType.NULL) continue;
    writeBinaryValue(writer, param.type, param.value);
  }
}

// ------------------------------------------------------------------ COM_CHANGE_USER

export function decodeChangeUser(payload: Buffer, capabilities: SessionCapabilities): ChangeUserCommand {
  const reader = new PayloadReader(payload, 'COM_CHANGE_USER');
  if (reader.u8() !== Command.CHANGE_USER) throw unexpected('expected COM_CHANGE_USER');
  const flags = capabilities.flags;
  const username = reader.cstring();
  const authResponse = hasCapability(flags, Capability.SECURE_CONNECTION)
    ? reader.bytes(reader.u8())
    : reader.cstringBytes();
  const message: ChangeUserCommand = { type: 'ChangeUser', username, authResponse, database: reader.cstring() };
  if (reader.remaining > 0) {
    message.characterSet = reader.u16();
    if (hasCapability(flags, Capability.PLUGIN_AUTH) && reader.remaining > 0) message.authPluginName = reader.cstring();
    if (hasCapability(flags, Capability.CONNECT_ATTRS) && reader.remaining > 0) {
      const attrs = new PayloadReader(reader.lenencBytes(), 'connection attributes');
      const attributes: [string, string][] = [];
      while (attrs.remaining > 0) attributes.push([attrs.lenencString(), attrs.lenencString()]);
      message.attributes = attributes;
    }
  }
  reader.end();
  return message;
}

export function encodeChangeUser(message: Omit<ChangeUserCommand, 'type'>, capabilities: SessionCapabilities): Buffer {
  const flags = capabilities.flags;
  const writer = new PayloadWriter(64).u8(Command.CHANGE_USER).cstring(message.username);
  if (hasCapability(flags, Capability.SECURE_CONNECTION)) {
    if (message.authResponse.length > 0xff) throw new RangeError('auth response is at most 255 bytes');
    writer.u8(message.authResponse.length).bytes(message.authResponse);
  } else {
    writer.cstring(message.authResponse);
  }
  writer.cstring(message.database);
  const plugin = hasCapability(flags, Capability.PLUGIN_AUTH) ? message.authPluginName : undefined;
  const attributes = hasCapability(flags, Capability.CONNECT_ATTRS) ? message.attributes : undefined;
  if (message.characterSet === undefined && plugin === undefined && attributes === undefined) return writer.finish();
  writer.u16(message.characterSet ?? 0);
  if (plugin !== undefined || attributes !== undefined) {
    if (hasCapability(flags, Capability.PLUGIN_AUTH)) writer.cstring(plugin ?? '');
  }
  if (attributes !== undefined) {
    const attrs = new PayloadWriter();
    for (const [key, value] of attributes) attrs.lenencBytes(key).lenencBytes(value);
    writer.lenencBytes(attrs.finish());
  }
  return writer.finish();
}
