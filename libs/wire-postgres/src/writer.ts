const INITIAL_CAPACITY = 256;

/**
 * Builds one message into a growable buffer and returns it as an exact-size Buffer. Used for
 * the messages pg-protocol cannot serialize (all backend messages, and frontend ones where its
 * serializer adds or loses information: see frontend-serializers.ts).
 *
 * Values that cannot be represented (a NUL inside a C string, an integer out of range) are
 * programming errors of the caller and throw RangeError.
 */
export class MessageWriter {
  private buffer: Buffer;
  private offset: number;

  /**
   * `code` is the type byte; undefined for the untyped startup-phase packets. `bodySizeHint`
   * pre-sizes the buffer for messages carrying large byte strings.
   */
  constructor(
    private readonly code?: number,
    bodySizeHint = INITIAL_CAPACITY,
  ) {
    this.offset = code === undefined ? 4 : 5;
    this.buffer = Buffer.allocUnsafe(this.offset + bodySizeHint);
  }

  int8(value: number): this {
    this.ensure(1);
    this.buffer.writeUInt8(value, this.offset);
    this.offset += 1;
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.buffer.writeInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.buffer.writeUInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  cstring(value: string): this {
    assertNoNul(value);
    const length = Buffer.byteLength(value);
    this.ensure(length + 1);
    this.buffer.write(value, this.offset, 'utf8');
    this.offset += length;
    this.buffer[this.offset++] = 0;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  /** An int32 length and the bytes, or -1 for NULL. */
  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    return this.int32(value.length).bytes(value);
  }

  /** A uint16 count, checked: PostgreSQL reads these counts as 16-bit. */
  count16(count: number): this {
    if (count > 0xffff) throw new RangeError(`at most 65535 items fit in one message, got ${count}`);
    return this.uint16(count);
  }

  finish(): Buffer {
    const start = this.code === undefined ? 0 : 1;
    if (this.code !== undefined) this.buffer[0] = this.code;
    this.buffer.writeInt32BE(this.offset - start, start);
    // The writer is used for one message only, so the view needs no copy.
    return this.buffer.subarray(0, this.offset);
  }

  private ensure(size: number): void {
    if (this.offset + size <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + size));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}

export function assertNoNul(value: string): void {
  if (value.includes('\0')) throw new RangeError('a PostgreSQL string cannot contain a NUL character');
}
