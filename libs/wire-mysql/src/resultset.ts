// Result sets: the column count, column definitions, text and binary rows, and the
// COM_STMT_PREPARE answer.
import { readBinaryValue, writeBinaryValue, type BinaryValue } from './binary-values.js';
import { hasMariaDbCapability, type SessionCapabilities } from './capabilities.js';
import { ColumnFlag, ColumnType, MariaDbCapability, ResponseHeader } from './constants.js';
import { malformed, unexpected } from './errors.js';
import { PayloadReader } from './reader.js';
import { PayloadWriter } from './writer.js';

/** What the first packet answering COM_QUERY / COM_STMT_EXECUTE is. */
export type CommandResponseKind = 'ok' | 'err' | 'local-infile' | 'result-set';

export function commandResponseKind(payload: Buffer): CommandResponseKind {
  switch (payload[0]) {
    case ResponseHeader.OK:
      return 'ok';
    case ResponseHeader.ERR:
      return 'err';
    case ResponseHeader.LOCAL_INFILE:
      return 'local-infile';
    default:
      return 'result-set';
  }
}

/** LOCAL INFILE request: the server asks the client for a file's contents. */
export function decodeLocalInfileRequest(payload: Buffer): string {
  if (payload[0] !== ResponseHeader.LOCAL_INFILE) throw unexpected('expected a LOCAL INFILE request');
  return payload.toString('utf8', 1);
}

export interface ColumnCount {
  columnCount: number;
  /**
   * MariaDB with MARIADB_CLIENT_CACHE_METADATA: whether column definitions follow (false: the
   * client is to reuse the ones it cached at prepare time). Always true otherwise.
   */
  metadataFollows: boolean;
}

export function decodeColumnCount(payload: Buffer, capabilities: SessionCapabilities): ColumnCount {
  const reader = new PayloadReader(payload, 'column count');
  const columnCount = reader.lenenc();
  if (columnCount === 0) throw malformed('column count: zero columns');
  let metadataFollows = true;
  if (hasMariaDbCapability(capabilities, MariaDbCapability.CACHE_METADATA)) metadataFollows = reader.u8() === 1;
  reader.end();
  return { columnCount, metadataFollows };
}

export function encodeColumnCount(count: ColumnCount, capabilities: SessionCapabilities): Buffer {
  const writer = new PayloadWriter(10).lenenc(count.columnCount);
  if (hasMariaDbCapability(capabilities, MariaDbCapability.CACHE_METADATA)) writer.u8(count.metadataFollows ? 1 : 0);
  return writer.finish();
}

export interface ColumnDefinition {
  /** Always 'def'. */
  catalog: string;
  schema: string;
  /** The table as named in the query (its alias). */
  table: string;
  /** The table the column comes from ('' for expressions). */
  orgTable: string;
  /** The column as named in the result (its alias). */
  name: string;
  /** The column it comes from ('' for expressions). */
  orgName: string;
  /** MariaDB MARIADB_CLIENT_EXTENDED_METADATA: type-info entries, raw; undefined otherwise. */
  extendedTypeInfo?: Buffer;
  /** Collation id (`Charset.*`); 63 is binary. */
  characterSet: number;
  columnLength: number;
  /** `ColumnType.*`. */
  type: number;
  /** `ColumnFlag.*`. */
  flags: number;
  decimals: number;
}

const FIXED_FIELDS_LENGTH = 0x0c;

export function decodeColumnDefinition(payload: Buffer, capabilities: SessionCapabilities): ColumnDefinition {
  const reader = new PayloadReader(payload, 'ColumnDefinition41');
  const column: ColumnDefinition = {
    catalog: reader.lenencString(),
    schema: reader.lenencString(),
    table: reader.lenencString(),
    orgTable: reader.lenencString(),
    name: reader.lenencString(),
    orgName: reader.lenencString(),
    characterSet: 0,
    columnLength: 0,
    type: 0,
    flags: 0,
    decimals: 0,
  };
  if (hasMariaDbCapability(capabilities, MariaDbCapability.EXTENDED_METADATA)) {
    column.extendedTypeInfo = reader.lenencBytes();
  }
  const fixed = reader.lenenc();
  if (fixed !== FIXED_FIELDS_LENGTH) throw malformed(`ColumnDefinition41: fixed fields of ${fixed} bytes, not 12`);
  column.characterSet = reader.u16();
  column.columnLength = reader.u32();
  column.type = reader.u8();
  column.flags = reader.u16();
  column.decimals = reader.u8();
  reader.skip(2);
  reader.end();
  return column;
}

export function encodeColumnDefinition(column: ColumnDefinition, capabilities: SessionCapabilities): Buffer {
  const writer = new PayloadWriter(64);
  writer
    .lenencBytes(column.catalog)
    .lenencBytes(column.schema)
    .lenencBytes(column.table)
    .lenencBytes(column.orgTable)
    .lenencBytes(column.name)
    .lenencBytes(column.orgName);
  if (hasMariaDbCapability(capabilities, MariaDbCapability.EXTENDED_METADATA)) {
    writer.lenencBytes(column.extendedTypeInfo ?? Buffer.alloc(0));
  }
  return writer
    .lenenc(FIXED_FIELDS_LENGTH)
    .u16(column.characterSet)
    .u32(column.columnLength)
    .u8(column.type)
    .u16(column.flags)
    .u8(column.decimals)
    .zeros(2)
    .finish();
}

/** The layout facts a binary row needs about one column. */
export interface BinaryColumn {
  type: number;
  flags: number;
}

export function isUnsignedColumn(column: BinaryColumn): boolean {
  return (column.flags & ColumnFlag.UNSIGNED) !== 0;
}

// ------------------------------------------------------------------ rows

/** A text row's cells: the bytes as the server sent them (views), null for SQL NULL. */
export function decodeTextRow(payload: Buffer, columnCount: number): (Buffer | null)[] {
  const reader = new PayloadReader(payload, 'text row');
  // Every cell takes at least one byte: refuse an impossible count before allocating for it.
  reader.checkCount(columnCount, 1);
  const cells = new Array<Buffer | null>(columnCount);
  for (let i = 0; i < columnCount; i++) {
    if (payload[reader.offset] === 0xfb) {
      reader.skip(1);
      cells[i] = null;
    } else {
      cells[i] = reader.lenencBytes();
    }
  }
  reader.end();
  return cells;
}

export function encodeTextRow(cells: readonly (Uint8Array | string | null)[]): Buffer {
  const writer = new PayloadWriter(16 * cells.length);
  for (const cell of cells) {
    if (cell === null) writer.u8(0xfb);
    else writer.lenencBytes(cell);
  }
  return writer.finish();
}

/** Bytes of a binary row's NULL bitmap: column bits start at bit 2. */
export function binaryRowBitmapSize(columnCount: number): number {
  return (columnCount + 7 + 2) >> 3;
}

export function decodeBinaryRow(payload: Buffer, columns: readonly BinaryColumn[]): BinaryValue[] {
  const reader = new PayloadReader(payload, 'binary row');
  if (reader.u8() !== 0x00) throw unexpected('binary row: header is not 0x00');
  const bitmap = reader.bytes(binaryRowBitmapSize(columns.length));
  const values = new Array<BinaryValue>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const bit = i + 2;
    if ((bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0) values[i] = null;
    else values[i] = readBinaryValue(reader, columns[i]!.type, isUnsignedColumn(columns[i]!));
  }
  reader.end();
  return values;
}

export function encodeBinaryRow(values: readonly (BinaryValue | string)[], columns: readonly BinaryColumn[]): Buffer {
  if (values.length !== columns.length) throw new RangeError('one value per column');
  const bitmap = Buffer.alloc(binaryRowBitmapSize(columns.length));
  const writer = new PayloadWriter(1 + bitmap.length + 8 * columns.length);
  const body = new PayloadWriter(8 * columns.length);
  values.forEach((value, i) => {
    if (value === null) {
      const bit = i + 2;
      bitmap[bit >> 3]! |= 1 << (bit & 7);
    } else {
      writeBinaryValue(body, columns[i]!.type, value);
    }
  });
  return writer.u8(0).bytes(bitmap).bytes(body.finish()).finish();
}

// ------------------------------------------------------------------ COM_STMT_PREPARE answer

export interface StmtPrepareOk {
  statementId: number;
  columnCount: number;
  paramCount: number;
  warnings: number;
  /** MySQL 8 CLIENT_OPTIONAL_RESULTSET_METADATA: whether definitions follow; undefined when not sent. */
  metadataFollows?: boolean;
}

/**
 * The first packet answering COM_STMT_PREPARE when it is not an ERR. `paramCount` parameter
 * definitions follow (then an EOF unless CLIENT_DEPRECATE_EOF), then `columnCount` column
 * definitions (then an EOF unless CLIENT_DEPRECATE_EOF).
 */
export function decodeStmtPrepareOk(payload: Buffer): StmtPrepareOk {
  const reader = new PayloadReader(payload, 'COM_STMT_PREPARE_OK');
  if (reader.u8() !== 0x00) throw unexpected('expected COM_STMT_PREPARE_OK');
  const statementId = reader.u32();
  const columnCount = reader.u16();
  const paramCount = reader.u16();
  reader.skip(1);
  const ok: StmtPrepareOk = { statementId, columnCount, paramCount, warnings: 0 };
  if (reader.remaining > 0) ok.warnings = reader.u16();
  if (reader.remaining > 0) ok.metadataFollows = reader.u8() === 1;
  reader.end();
  return ok;
}

export function encodeStmtPrepareOk(ok: StmtPrepareOk): Buffer {
  const writer = new PayloadWriter(13).u8(0).u32(ok.statementId).u16(ok.columnCount).u16(ok.paramCount).u8(0);
  writer.u16(ok.warnings);
  if (ok.metadataFollows !== undefined) writer.u8(ok.metadataFollows ? 1 : 0);
  return writer.finish();
}

/** A column definition for a test or a synthetic result set, with sensible defaults. */
export function columnDefinition(fields: Partial<ColumnDefinition> & { name: string }): ColumnDefinition {
  return {
    catalog: 'def',
    schema: '',
    table: '',
    orgTable: '',
    orgName: '',
    characterSet: 45,
    columnLength: 0,
    type: ColumnType.VAR_STRING,
    flags: 0,
    decimals: 0,
    ...fields,
  };
}
