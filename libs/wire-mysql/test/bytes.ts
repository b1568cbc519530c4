// Byte builders for tests, written from the protocol documentation and independent of the
// library's writers, so that a writer bug cannot hide behind a matching builder bug.

export function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

export function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}

export function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

export function cstr(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

export function text(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

/** A length-encoded integer. */
export function lenenc(value: number): Buffer {
  if (value < 251) return u8(value);
  if (value < 2 ** 16) return Buffer.concat([u8(0xfc), u16(value)]);
  if (value < 2 ** 24) return Buffer.concat([u8(0xfd), u16(value & 0xffff), u8(value >>> 16)]);
  const big = Buffer.alloc(8);
  big.writeBigUInt64LE(BigInt(value));
  return Buffer.concat([u8(0xfe), big]);
}

/** A length-encoded string. */
export function lstr(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? text(value) : value;
  return Buffer.concat([lenenc(bytes.length), bytes]);
}

/** One packet: 3-byte little-endian length, sequence id, payload (must be under 16 MiB). */
export function pkt(sequenceId: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  if (body.length >= 0xffffff) throw new Error('use several packets');
  return Buffer.concat([u16(body.length & 0xffff), u8(body.length >>> 16), u8(sequenceId), body]);
}

/** Splits `bytes` at the given offsets (sorted, deduplicated). */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets)].filter((o) => o > 0 && o < bytes.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
