import { inflateRawSync, constants as zlibConstants } from 'node:zlib';

/*
 * A pure SPDY/3.1 codec, as much of it as Kubernetes streams need: kubectl's
 * port-forward and exec streams (k8s.io/apimachinery httpstream/spdy on moby/spdystream) — frames
 * (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE, DATA) and
 * header blocks, compressed with one zlib stream per direction primed with the SPDY/3 dictionary.
 * The stand-in API server of libs/testing serves port-forward and exec with it; the agent's
 * port-forward recorder reads the tunnelled frames with it. Sockets are wired elsewhere.
 */

/** Control frame types (an object, not a const enum: other packages read it at run time). */
export const SpdyType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;
export type SpdyType = (typeof SpdyType)[keyof typeof SpdyType];

export const FLAG_FIN = 0x01;
const SPDY_VERSION = 3;
const FRAME_HEADER = 8;
/** Frames larger than this are refused (kubectl's are at most a few tens of KiB). */
const MAX_FRAME = 0xffffff;

export type SpdyFrame =
  | { control: false; streamId: number; flags: number; data: Buffer }
  | { control: true; type: number; flags: number; payload: Buffer };

/** Splits a byte stream into frames, across any chunk boundary. */
export class SpdyFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: SpdyFrame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= FRAME_HEADER) {
      const length = this.pending.readUInt32BE(offset + 4) & MAX_FRAME;
      if (this.pending.length - offset < FRAME_HEADER + length) break;
      const flags = this.pending[offset + 4]!;
      const body = this.pending.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + length);
      const first = this.pending.readUInt32BE(offset);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new Error(`SPDY version ${version} is not spoken`);
        frames.push({ control: true, type: first & 0xffff, flags, payload: Buffer.from(body) });
      } else {
        frames.push({ control: false, streamId: first & 0x7fffffff, flags, data: Buffer.from(body) });
      }
      offset += FRAME_HEADER + length;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }
}

export function controlFrame(type: SpdyType, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt32BE((0x8000 | SPDY_VERSION) * 0x10000 + type, 0);
  head.writeUInt32BE(flags * 0x1000000 + payload.length, 4);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, data: Buffer, fin = false): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE((fin ? FLAG_FIN : 0) * 0x1000000 + data.length, 4);
  return Buffer.concat([head, data]);
}

/** Data frames of at most MAX_FRAME bytes each, the last one carrying FIN when asked. */
export function dataFrames(streamId: number, data: Buffer, fin = false): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += MAX_FRAME)
    frames.push(dataFrame(streamId, data.subarray(offset, offset + MAX_FRAME)));
  if (fin) frames.push(dataFrame(streamId, Buffer.alloc(0), true));
  return frames;
}

const uint32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0, 0);
  return buffer;
};

/** SYN_STREAM as a client sends it (no associated stream, priority 0). */
export function synStream(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return controlFrame(
    SpdyType.SynStream,
    fin ? FLAG_FIN : 0,
    Buffer.concat([uint32(streamId), uint32(0), Buffer.from([0, 0]), headerBlock]),
  );
}

export function synReply(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return controlFrame(SpdyType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([uint32(streamId), headerBlock]));
}

export function rstStream(streamId: number, status: number): Buffer {
  return controlFrame(SpdyType.RstStream, 0, Buffer.concat([uint32(streamId), uint32(status)]));
}

export function goAway(lastStreamId: number, status = 0): Buffer {
  return controlFrame(SpdyType.GoAway, 0, Buffer.concat([uint32(lastStreamId), uint32(status)]));
}

/** SYN_STREAM's fields: stream id, associated stream, and its (compressed) header block. */
export function readSynStream(payload: Buffer): { streamId: number; headerBlock: Buffer } {
  if (payload.length < 10) throw new Error('SYN_STREAM shorter than its fixed fields');
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, headerBlock: payload.subarray(10) };
}

/** The stream id a RST_STREAM, SYN_REPLY, HEADERS or WINDOW_UPDATE frame names. */
export function frameStreamId(payload: Buffer): number {
  if (payload.length < 4) throw new Error('control frame shorter than its stream id');
  return payload.readUInt32BE(0) & 0x7fffffff;
}

/** Name/value pairs, uncompressed (names lower case; several values of one name joined by NUL). */
export function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [uint32(Object.keys(headers).length)];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(uint32(n.length), n, uint32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  let offset = 0;
  const take = (): string => {
    if (block.length - offset < 4) throw new Error('header block truncated');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (block.length - offset < length) throw new Error('header block truncated');
    const text = block.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  if (block.length < 4) throw new Error('header block truncated');
  const count = block.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i += 1) {
    const name = take();
    headers[name.toLowerCase()] = take();
  }
  return headers;
}

/** The SPDY/3 header dictionary (draft 3, section 2.6.10.1): length-prefixed words, then a tail. */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
]; // prettier-ignore
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((word) => [uint32(word.length), Buffer.from(word, 'latin1')]),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/**
 * Compresses this side's header blocks: one zlib stream for the connection (header naming the
 * dictionary, then each block as stored deflate blocks followed by a sync flush's empty block —
 * valid deflate that any inflater reads). Not smaller, but needs no asynchronous zlib.
 */
export class HeaderCompressor {
  private started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      const cmf = 0x78;
      let flg = 0x20; // FDICT
      flg += (31 - ((cmf * 256 + flg) % 31)) % 31;
      parts.push(Buffer.from([cmf, flg]), uint32(adler32(SPDY3_DICTIONARY)));
    }
    for (let offset = 0; offset === 0 || offset < block.length; offset += 0xffff) {
      const piece = block.subarray(offset, offset + 0xffff);
      const head = Buffer.alloc(5);
      head[0] = 0; // BFINAL 0, BTYPE 00 (stored)
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
    }
    // The sync-flush marker (an empty stored block): Go's inflater hands out what it has read
    // only when it sees one (or its window fills).
    parts.push(Buffer.from([0, 0, 0, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** Deflate looks back at most this far: the window a block after a sync flush may refer to. */
const WINDOW = 32 * 1024;

/**
 * Decompresses the peer's header blocks. Each block ends with a sync flush (spdystream flushes
 * after every block), so the next one starts byte-aligned and can be inflated on its own as raw
 * deflate, given the last 32 KiB of what came before (the dictionary, then earlier output) as its
 * dictionary: synchronous, and linear in the bytes of the blocks.
 */
export class HeaderDecompressor {
  private window: Buffer = SPDY3_DICTIONARY;
  private started = false;

  decompress(block: Buffer): Buffer {
    let raw = block;
    if (!this.started) {
      if (block.length < 6 || (block[0]! & 0x0f) !== 8 || ((block[0]! << 8) | block[1]!) % 31 !== 0)
        throw new Error('the header stream does not start with a zlib header');
      if ((block[1]! & 0x20) === 0 || block.readUInt32BE(2) !== adler32(SPDY3_DICTIONARY))
        throw new Error('the header stream is not primed with the SPDY/3 dictionary');
      raw = block.subarray(6);
      this.started = true;
    }
    const out = inflateRawSync(raw, { dictionary: this.window, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    this.window = Buffer.concat([this.window, out]).subarray(-WINDOW);
    return out;
  }
}
