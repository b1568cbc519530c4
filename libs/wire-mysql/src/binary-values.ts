// Values of the binary protocol (COM_STMT_EXECUTE parameters, binary result rows, query
// attributes): one encoding per column type.
import { ColumnType } from './constants.js';
import { malformed } from './errors.js';
import { lenencAt, lenencPrefixSize, type PayloadReader } from './reader.js';
import { PayloadWriter } from './writer.js';

/** DATE, DATETIME and TIMESTAMP values, as the protocol carries them (no time zone). */
export interface MySqlDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}

/** TIME values: a signed duration. */
export interface MySqlTime {
  negative: boolean;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  microseconds: number;
}

/**
 * A decoded binary value. Integers up to 32 bits and FLOAT/DOUBLE are numbers, LONGLONG a
 * bigint, temporal types objects, NULL null, and every other type (DECIMAL, strings, blobs,
 * JSON, BIT, ENUM, SET, GEOMETRY) the raw bytes (a view).
 */
export type BinaryValue = null | number | bigint | Buffer | MySqlDateTime | MySqlTime;

/** Bytes a fixed-size type takes; undefined for length-prefixed types. */
export function fixedBinarySize(type: number): number | undefined {
  switch (type) {
    case ColumnType.NULL:
      return 0;
    case ColumnType.TINY:
      return 1;
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      return 2;
    case ColumnType.INT24:
    case ColumnType.LONG:
    case ColumnType.FLOAT:
      return 4;
    case ColumnType.LONGLONG:
    case ColumnType.DOUBLE:
      return 8;
    default:
      return undefined;
  }
}

/** Temporal types carry a length byte (0, 4, 7 or 11 for dates; 0, 8 or 12 for TIME). */
export function isTemporalType(type: number): boolean {
  return (
    type === ColumnType.DATE ||
    type === ColumnType.DATETIME ||
    type === ColumnType.TIMESTAMP ||
    type === ColumnType.NEWDATE ||
    type === ColumnType.TIME
  );
}

/** Whether values of `type` are length-encoded strings in the binary protocol. */
export function isLengthEncodedType(type: number): boolean {
  return fixedBinarySize(type) === undefined && !isTemporalType(type);
}

/** The size of the binary value of `type` starting at `offset`; throws MALFORMED if it overruns `payload`. */
export function binaryValueSize(payload: Buffer, offset: number, type: number): number {
  const fixed = fixedBinarySize(type);
  let size: number;
  if (fixed !== undefined) size = fixed;
  else if (isTemporalType(type)) {
    if (offset >= payload.length) throw malformed('binary value: payload ends early');
    size = 1 + payload[offset]!;
  } else {
    const length = lenencAt(payload, offset);
    if (length < 0) throw malformed('binary value: bad or truncated length');
    size = lenencPrefixSize(payload[offset]!) + length;
  }
  if (size > payload.length - offset) throw malformed('binary value: payload ends early');
  return size;
}

export function readBinaryValue(reader: PayloadReader, type: number, unsigned: boolean): BinaryValue {
  switch (type) {
    case ColumnType.NULL:
      return null;
    case ColumnType.TINY: {
      const value = reader.u8();
      return unsigned ? value : (value << 24) >> 24;
    }
    case ColumnType.SHORT:
    case ColumnType.YEAR: {
      const value = reader.u16();
      return unsigned || type === ColumnType.YEAR ? value : (value << 16) >> 16;
    }
    case ColumnType.INT24:
    case ColumnType.LONG: {
      const value = reader.u32();
      return unsigned ? value : value | 0;
    }
    case ColumnType.LONGLONG: {
      const value = reader.u64();
      return unsigned ? value : BigInt.asIntN(64, value);
    }
    case ColumnType.FLOAT:
      return reader.bytes(4).readFloatLE(0);
    case ColumnType.DOUBLE:
      return reader.bytes(8).readDoubleLE(0);
    case ColumnType.TIME:
      return readTime(reader);
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.NEWDATE:
      return readDateTime(reader);
    default:
      return reader.lenencBytes();
  }
}

function readDateTime(reader: PayloadReader): MySqlDateTime {
  const length = reader.u8();
  if (length !== 0 && length !== 4 && length !== 7 && length !== 11) {
    throw malformed(`binary date: length ${length} is not 0, 4, 7 or 11`);
  }
  const value: MySqlDateTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0 };
  if (length >= 4) {
    value.year = reader.u16();
    value.month = reader.u8();
    value.day = reader.u8();
  }
  if (length >= 7) {
    value.hour = reader.u8();
    value.minute = reader.u8();
    value.second = reader.u8();
  }
  if (length === 11) value.microsecond = reader.u32();
  return value;
}

function readTime(reader: PayloadReader): MySqlTime {
  const length = reader.u8();
  if (length !== 0 && length !== 8 && length !== 12) throw malformed(`binary time: length ${length} is not 0, 8 or 12`);
  const value: MySqlTime = { negative: false, days: 0, hours: 0, minutes: 0, seconds: 0, microseconds: 0 };
  if (length >= 8) {
    value.negative = reader.u8() === 1;
    value.days = reader.u32();
    value.hours = reader.u8();
    value.minutes = reader.u8();
    value.seconds = reader.u8();
  }
  if (length === 12) value.microseconds = reader.u32();
  return value;
}

function isObject(value: BinaryValue | string): value is MySqlDateTime | MySqlTime {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value);
}

/**
 * Writes `value` as a value of `type`. Numbers and bigints are range-checked against the type;
 * strings and Buffers go to length-encoded types; a mismatch is a programming error (RangeError).
 */
export function writeBinaryValue(writer: PayloadWriter, type: number, value: BinaryValue | string): void {
  if (value === null) {
    if (type !== ColumnType.NULL) throw new RangeError('NULL is sent through the null bitmap');
    return;
  }
  const fixed = fixedBinarySize(type);
  if (fixed !== undefined) {
    if (typeof value !== 'number' && typeof value !== 'bigint') {
      throw new RangeError(`type ${type} takes a number`);
    }
    writeFixed(writer, type, value);
    return;
  }
  if (isTemporalType(type)) {
    if (!isObject(value)) throw new RangeError(`type ${type} takes a date or time object`);
    if (type === ColumnType.TIME) writeTime(writer, value as MySqlTime);
    else writeDateTime(writer, value as MySqlDateTime);
    return;
  }
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    writer.lenencBytes(value);
    return;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    writer.lenencBytes(String(value)); // DECIMAL and friends as their text
    return;
  }
  throw new RangeError(`type ${type} takes bytes or a string`);
}

function writeFixed(writer: PayloadWriter, type: number, value: number | bigint): void {
  const scratch = Buffer.alloc(8);
  switch (type) {
    case ColumnType.TINY:
      writer.u8(Number(BigInt.asUintN(8, checkInteger(value, 8))));
      return;
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      writer.u16(Number(BigInt.asUintN(16, checkInteger(value, 16))));
      return;
    case ColumnType.INT24:
    case ColumnType.LONG:
      writer.u32(Number(BigInt.asUintN(32, checkInteger(value, 32))));
      return;
    case ColumnType.LONGLONG:
      writer.u64(BigInt.asUintN(64, checkInteger(value, 64)));
      return;
    case ColumnType.FLOAT:
      scratch.writeFloatLE(Number(value));
      writer.bytes(scratch.subarray(0, 4));
      return;
    case ColumnType.DOUBLE:
      scratch.writeDoubleLE(Number(value));
      writer.bytes(scratch);
      return;
  }
}

/** An integer in the signed or unsigned range of `bits` bits. */
function checkInteger(value: number | bigint, bits: number): bigint {
  if (typeof value === 'number' && !Number.isInteger(value)) throw new RangeError(`${value} is not an integer`);
  const big = BigInt(value);
  if (big < -(1n << BigInt(bits - 1)) || big >= 1n << BigInt(bits)) {
    throw new RangeError(`${value} does not fit ${bits} bits`);
  }
  return big;
}

function writeDateTime(writer: PayloadWriter, value: MySqlDateTime): void {
  const hasTime = value.hour !== 0 || value.minute !== 0 || value.second !== 0;
  const length =
    value.microsecond !== 0 ? 11 : hasTime ? 7 : value.year !== 0 || value.month !== 0 || value.day !== 0 ? 4 : 0;
  writer.u8(length);
  if (length >= 4) writer.u16(value.year).u8(value.month).u8(value.day);
  if (length >= 7) writer.u8(value.hour).u8(value.minute).u8(value.second);
  if (length === 11) writer.u32(value.microsecond);
}

function writeTime(writer: PayloadWriter, value: MySqlTime): void {
  const zero =
    !value.negative &&
    value.days === 0 &&
    value.hours === 0 &&
    value.minutes === 0 &&
    value.seconds === 0 &&
    value.microseconds === 0;
  const length = zero ? 0 : value.microseconds !== 0 ? 12 : 8;
  writer.u8(length);
  if (length >= 8) {
    writer
      .u8(value.negative ? 1 : 0)
      .u32(value.days)
      .u8(value.hours)
      .u8(value.minutes)
      .u8(value.seconds);
  }
  if (length === 12) writer.u32(value.microseconds);
}

/** One value's encoding on its own (for splicing into a row). */
export function encodeBinaryValue(type: number, value: BinaryValue | string): Buffer {
  const writer = new PayloadWriter(16);
  writeBinaryValue(writer, type, value);
  return writer.finish();
}

/** A parameter's type as COM_STMT_EXECUTE sends it: the type byte and the unsigned flag. */
export interface ParamType {
  type: number;
  unsigned: boolean;
}

/**
 * A reasonable binary type for a JS value, for clients that bind values without declared
 * types: integers as LONGLONG, other numbers DOUBLE, bigint LONGLONG (unsigned when ≥ 2^63),
 * strings VAR_STRING, Buffers BLOB, dates DATETIME, TIME objects TIME, null NULL.
 */
export function inferParamType(value: BinaryValue | string): ParamType {
  if (value === null) return { type: ColumnType.NULL, unsigned: false };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value)
      ? { type: ColumnType.LONGLONG, unsigned: false }
      : { type: ColumnType.DOUBLE, unsigned: false };
  }
  if (typeof value === 'bigint') return { type: ColumnType.LONGLONG, unsigned: value >= 1n << 63n };
  if (typeof value === 'string') return { type: ColumnType.VAR_STRING, unsigned: false };
  if (Buffer.isBuffer(value)) return { type: ColumnType.BLOB, unsigned: false };
  return 'negative' in value
    ? { type: ColumnType.TIME, unsigned: false }
    : { type: ColumnType.DATETIME, unsigned: false };
}
