/**
 * Rebuilding a message with some values replaced, in one allocation: edits are recorded in
 * order while a frame is walked, then `build` computes the new size, allocates once and copies
 * the unchanged stretches and the replacements. Instances are reused frame after frame (no
 * per-row allocation beyond the output itself); everything here runs synchronously.
 */

/** What a value becomes: new bytes, SQL NULL (`null`), or unchanged (`undefined`). */
export type Replacement = Buffer | null | undefined;

const EditKind = { raw: 0, lengthPrefixed: 1 } as const;

export class Splice {
  private count = 0;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly values: (Buffer | null)[] = [];
  private readonly kinds: number[] = [];

  get size(): number {
    return this.count;
  }

  /** Forgets the edits (the replaced buffers are released as the next edits overwrite them). */
  reset(): void {
    this.count = 0;
  }

  /** Replaces src[start, end) (an int32 length word and its value) by a length word and `value`. */
  replaceValue(start: number, end: number, value: Buffer | null): void {
    this.push(start, end, value, EditKind.lengthPrefixed);
  }

  /** Replaces src[start, end) by `bytes` verbatim. */
  replaceRaw(start: number, end: number, bytes: Buffer): void {
    this.push(start, end, bytes, EditKind.raw);
  }

  /** src[from, to) with the edits applied, after `headRoom` bytes left for the caller's header. */
  build(src: Buffer, from: number, to: number, headRoom: number): Buffer {
    let size = headRoom + (to - from);
    for (let k = 0; k < this.count; k++) {
      const value = this.values[k]!;
      size += (this.kinds[k] === EditKind.lengthPrefixed ? 4 : 0) + (value === null ? 0 : value.length);
      size -= this.ends[k]! - this.starts[k]!;
    }
    // A pristine copy of the source goes right after the output, in the same slab, so that every
    // unchanged stretch is then moved with copyWithin (a native memmove) rather than copied
    // through a new view or byte by byte.
    const out = reserve(size, to - from);
    const scratch = out + size - from;
    slab.set(from === 0 && to === src.length ? src : src.subarray(from, to), scratch + from);
    let at = out + headRoom;
    let cursor = from;
    for (let k = 0; k < this.count; k++) {
      at = moveBytes(slab, at, scratch + cursor, scratch + this.starts[k]!);
      const value = this.values[k]!;
      if (this.kinds[k] === EditKind.lengthPrefixed) at = writeInt32(slab, at, value === null ? -1 : value.length);
      if (value !== null) at = copyBytes(value, 0, value.length, slab, at);
      cursor = this.ends[k]!;
    }
    moveBytes(slab, at, scratch + cursor, scratch + to);
    return Buffer.from(slab.buffer, slab.byteOffset + out, size); // cheaper than subarray
  }

  private push(start: number, end: number, value: Buffer | null, kind: number): void {
    const k = this.count++;
    this.starts[k] = start;
    this.ends[k] = end;
    this.values[k] = value;
    this.kinds[k] = kind;
  }
}

/**
 * Output slab: rebuilt messages are carved from it one after the other (like Node's Buffer
 * pool, but large enough for a whole row plus its scratch copy). A slab stays alive while any
 * message carved from it does.
 */
const SLAB_BYTES = 128 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/**
 * Offset in `slab` of `size` bytes for the caller to keep, followed by `scratch` bytes it may
 * use until it returns (`slab` may be a new slab afterwards: read it after calling).
 */
function reserve(size: number, scratch: number): number {
  if (slabUsed + size + scratch > slab.length) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size + scratch));
    slabUsed = 0;
  }
  const at = slabUsed;
  slabUsed += size;
  return at;
}

/** Moves buf[from, to) to `at` within one buffer; returns the new write position. */
function moveBytes(buf: Buffer, at: number, from: number, to: number): number {
  const n = to - from;
  if (n < 16) for (let i = 0; i < n; i++) buf[at + i] = buf[from + i]!;
  else buf.copyWithin(at, from, to);
  return at + n;
}

/** Copies src[from, to) into out at `at`; returns the new write position. */
export function copyBytes(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  const n = to - from;
  // A JS loop beats the native call for the short stretches between masked values.
  if (n < 32) {
    for (let i = 0; i < n; i++) out[at + i] = src[from + i]!;
  } else {
    src.copy(out, at, from, to);
  }
  return at + n;
}

export function readInt32(buf: Buffer, at: number): number {
  return (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
}

export function readInt16(buf: Buffer, at: number): number {
  const v = (buf[at]! << 8) | buf[at + 1]!;
  return v > 0x7fff ? v - 0x10000 : v;
}

export function writeInt32(buf: Buffer, at: number, value: number): number {
  buf[at] = value >>> 24;
  buf[at + 1] = value >>> 16;
  buf[at + 2] = value >>> 8;
  buf[at + 3] = value;
  return at + 4;
}
