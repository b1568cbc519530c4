const INITIAL_CAPACITY = 128;

/** Bytes a length-encoded integer takes. */
export function lenencSize(value: number): number {
  if (value < 0xfb) return 1;
  if (value < 0x1_0000) return 3;
  if (value < 0x100_0000) return 4;
  return 9;
}

/**
 * Writes `value` as a length-encoded integer at `offset` of `out`; returns the offset after it.
 * For splicing row payloads in place.
 */
export function writeLenenc(out: Buffer, value: number, offset: number): number {
  if (value < 0xfb) {
    out[offset] = value;
    return offset + 1;
  }
  if (value < 0x1_0000) {
    out[offset] = 0xfc;
    out.writeUInt16LE(value, offset + 1);
    return offset + 3;
  }
  if (value < 0x100_0000) {
    out[offset] = 0xfd;
    out.writeUIntLE(value, offset + 1, 3);
    return offset + 4;
  }
  out[offset] = 0xfe;
  out.writeBigUInt64LE(BigInt(value), offset + 1);
  return offset + 9;
}

/**
 * Builds one message payload (without packet headers: see `encodePackets`) in a growable buffer.
 * Values that cannot be represented (a NUL inside a C string, an integer out of range) are
 * programming errors of the caller and throw RangeError.
 */
export class PayloadWriter {
  private buffer: Buffer;
  private offset = 0;

  constructor(sizeHint = INITIAL_CAPACITY) {
    this.buffer = Buffer.allocUnsafe(sizeHint);
  }

  get length(): number {
    return this.offset;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer.writeUInt8(value, this.offset);
    this.offset += 1;
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.buffer.writeUInt16LE(value, this.offset);
    this.offset += 2;
    return this;
  }

  u24(value: number): this {
    this.ensure(3);
    this.buffer.writeUIntLE(value, this.offset, 3);
    this.offset += 3;
    return this;
  }

  u32(value: number): this {
    this.ensure(4);
    this.buffer.writeUInt32LE(value, this.offset);
    this.offset += 4;
    return this;
  }

  u64(value: bigint): this {
    this.ensure(8);
    this.buffer.writeBigUInt64LE(value, this.offset);
    this.offset += 8;
    return this;
  }

  lenenc(value: number | bigint): this {
    if (typeof value === 'bigint') {
      if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${value} is not a uint64`);
      if (value >= 0x100_0000n) return this.u8(0xfe).u64(value);
      value = Number(value);
    }
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a length`);
    this.ensure(9);
    this.offset = writeLenenc(this.buffer, value, this.offset);
    return this;
  }

  lenencBytes(value: Uint8Array | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    return this.lenenc(bytes.length).bytes(bytes);
  }

  cstring(value: string | Uint8Array): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (bytes.includes(0)) throw new RangeError('a NUL-terminated string cannot contain a NUL byte');
    return this.bytes(bytes).u8(0);
  }

  bytes(value: Uint8Array | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  zeros(count: number): this {
    this.ensure(count);
    this.buffer.fill(0, this.offset, this.offset + count);
    this.offset += count;
    return this;
  }

  /** The payload; the writer is used for one message only, so the view needs no copy. */
  finish(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  private ensure(size: number): void {
    if (this.offset + size <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + size));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}
