// The two commands that carry bound values in the binary protocol: COM_QUERY with query
// attributes (MySQL 8 CLIENT_QUERY_ATTRIBUTES) and COM_STMT_EXECUTE.
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

/** What COM_STMT_EXECUTE decoding needs to know about the prepared statement. */
export interface PreparedStatementInfo {
  /** `paramCount` from the statement's COM_STMT_PREPARE_OK. */
  paramCount: number;
  /** Types bound by the previous execute, used when this one does not send them. */
  paramTypes?: readonly ParamType[];
  /** Parameters whose value was sent with COM_STMT_SEND_LONG_DATA since the last execute/reset. */
  longDataParams?: ReadonlySet<number>;
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
