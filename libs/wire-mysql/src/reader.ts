import { malformed } from './errors.js';

/** Largest length-encoded integer read as a `number` (lengths, counts). */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Bounds-checked little-endian cursor over one message payload. Every read past the end, every
 * string without its NUL terminator and every impossible length throws
 * `MySqlProtocolError('MALFORMED')`, never a RangeError. Byte strings are views, not copies.
 */
export class PayloadReader {
  offset: number;

  constructor(
    readonly payload: Buffer,
    private readonly what: string,
    start = 0,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.payload.length - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.payload[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const value = this.payload.readUInt16LE(this.offset);
    this.offset += 2;
    return value;
  }

  u24(): number {
    this.need(3);
    const value = this.payload.readUIntLE(this.offset, 3);
    this.offset += 3;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.payload.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(): bigint {
    this.need(8);
    const value = this.payload.readBigUInt64LE(this.offset);
    this.offset += 8;
    return value;
  }

  /** A length-encoded integer as a bigint (row counts, insert ids). 0xFB and 0xFF are not integers. */
  lenencBig(): bigint {
    const first = this.u8();
    if (first < 0xfb) return BigInt(first);
    if (first === 0xfc) return BigInt(this.u16());
    if (first === 0xfd) return BigInt(this.u24());
    if (first === 0xfe) return this.u64();
    throw malformed(`${this.what}: 0x${first.toString(16)} is not a length-encoded integer`);
  }

  /** A length-encoded integer that must fit a JS number (lengths and counts). */
  lenenc(): number {
    const first = this.payload[this.offset];
    if (first !== undefined && first < 0xfb) {
      this.offset++;
      return first;
    }
    const value = this.lenencBig();
    if (value > MAX_SAFE) throw malformed(`${this.what}: length-encoded integer ${value} is too large`);
    return Number(value);
  }

  /** A length-encoded byte string (a view). */
  lenencBytes(): Buffer {
    return this.bytes(this.lenenc());
  }

  lenencString(): string {
    return this.lenencBytes().toString('utf8');
  }

  /** A NUL-terminated byte string (a view, without the NUL). */
  cstringBytes(): Buffer {
    const end = this.payload.indexOf(0, this.offset);
    if (end < 0) throw malformed(`${this.what}: string without NUL terminator`);
    const view = this.payload.subarray(this.offset, end);
    this.offset = end + 1;
    return view;
  }

  cstring(): string {
    return this.cstringBytes().toString('utf8');
  }

  bytes(length: number): Buffer {
    this.need(length);
    const view = this.payload.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  skip(length: number): void {
    this.need(length);
    this.offset += length;
  }

  /** Everything up to the end of the payload (a view). */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Trailing bytes mean the peer and we disagree on the layout. */
  end(): void {
    if (this.offset !== this.payload.length) {
      throw malformed(`${this.what}: ${this.payload.length - this.offset} unexpected trailing bytes`);
    }
  }

  /** A count of items that each take at least `minItemSize` bytes, checked before any allocation. */
  checkCount(count: number, minItemSize: number): number {
    if (count * minItemSize > this.remaining) {
      throw malformed(`${this.what}: ${count} items cannot fit in ${this.remaining} bytes`);
    }
    return count;
  }

  need(length: number): void {
    if (length > this.payload.length - this.offset) throw malformed(`${this.what}: payload ends early`);
  }
}

/** Bytes a length-encoded integer whose first byte is `first` takes (1, 3, 4 or 9). */
export function lenencPrefixSize(first: number): number {
  return first < 0xfb ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
}

/**
 * The length-encoded integer at `offset`, without allocating: -1 when it is truncated, is not
 * an integer (0xFB, 0xFF) or does not fit a safe JS number. For hot loops over row cells.
 */
export function lenencAt(payload: Buffer, offset: number): number {
  const first = payload[offset];
  if (first === undefined) return -1;
  if (first < 0xfb) return first;
  const size = lenencPrefixSize(first);
  if (first === 0xfb || first === 0xff || offset + size > payload.length) return -1;
  if (first === 0xfc) return payload.readUInt16LE(offset + 1);
  if (first === 0xfd) return payload.readUIntLE(offset + 1, 3);
  const high = payload.readUInt32LE(offset + 5);
  if (high > 0x1f_ffff) return -1;
  return high * 0x1_0000_0000 + payload.readUInt32LE(offset + 1);
}
