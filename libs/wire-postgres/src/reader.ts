import { malformed } from './errors.js';

/**
 * Bounds-checked cursor over one message body. Every read that would run past the end, and
 * every string without its NUL terminator, throws `ProtocolError('MALFORMED')` instead of
 * reading garbage or throwing a RangeError. Byte strings are returned as views, not copies.
 */
export class BodyReader {
  private offset = 0;

  constructor(
    private readonly body: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.body.length - this.offset;
  }

  int8(): number {
    this.need(1);
    return this.body[this.offset++]!;
  }

  int16(): number {
    this.need(2);
    const value = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.body.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.body.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A NUL-terminated string, decoded as UTF-8. */
  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0) throw malformed(`${this.what}: string without NUL terminator`);
    const value = this.body.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  bytes(length: number): Buffer {
    this.need(length);
    const view = this.body.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  /** An int32 length followed by that many bytes; length -1 means NULL. */
  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw malformed(`${this.what}: negative value length ${length}`);
    return this.bytes(length);
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** A count of items that each take at least `minItemSize` bytes, checked before any allocation. */
  count16(minItemSize: number): number {
    const count = this.uint16();
    if (count * minItemSize > this.remaining) {
      throw malformed(`${this.what}: ${count} items cannot fit in ${this.remaining} bytes`);
    }
    return count;
  }

  /** Like PostgreSQL's pq_getmsgend: trailing bytes mean the peer and we disagree on the layout. */
  end(): void {
    if (this.offset !== this.body.length) {
      throw malformed(`${this.what}: ${this.body.length - this.offset} unexpected trailing bytes`);
    }
  }

  private need(length: number): void {
    if (length > this.body.length - this.offset) {
      throw malformed(`${this.what}: message ends early`);
    }
  }
}
