// Byte builders for tests, written against the protocol documentation and independent of the
// library's serializers, so that a serializer bug cannot hide behind a matching builder bug.

export function int8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

export function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

export function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

export function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

export function cstr(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

export function text(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

/** A value with its int32 length prefix; null writes -1. */
export function value(bytes: Buffer | string | null): Buffer {
  if (bytes === null) return int32(-1);
  const data = typeof bytes === 'string' ? text(bytes) : bytes;
  return Buffer.concat([int32(data.length), data]);
}

/** A typed message: type byte, int32 length (self-inclusive), body. */
export function typed(code: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([Buffer.from(code, 'latin1'), int32(payload.length + 4), payload]);
}

/** An untyped startup-phase packet: int32 length (self-inclusive), body. */
export function untyped(...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([int32(payload.length + 4), payload]);
}

export function startup(parameters: Record<string, string>, version = 196608): Buffer {
  const pairs = Object.entries(parameters).flatMap(([name, val]) => [cstr(name), cstr(val)]);
  return untyped(int32(version), ...pairs, Buffer.from([0]));
}

export const sslRequest = (): Buffer => untyped(int32(80877103));
export const gssencRequest = (): Buffer => untyped(int32(80877104));
export const cancelRequest = (pid: number, key: number): Buffer => untyped(int32(80877102), int32(pid), int32(key));

/** Field of a RowDescription. */
export function field(
  name: string,
  tableOid: number,
  column: number,
  typeOid: number,
  size: number,
  mod: number,
  format: number,
): Buffer {
  return Buffer.concat([
    cstr(name),
    uint32(tableOid),
    int16(column),
    uint32(typeOid),
    int16(size),
    int32(mod),
    int16(format),
  ]);
}

export function noticeBody(fields: Record<string, string>): Buffer {
  return Buffer.concat([
    ...Object.entries(fields).map(([code, val]) => Buffer.concat([text(code), cstr(val)])),
    Buffer.from([0]),
  ]);
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const sorted = [...offsets].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const offset of sorted) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
