import { describe, expect, test } from '@jest/globals';
import {
  BackendParser,
  type Frame,
  type FrameParser,
  FrontendParser,
  ProtocolError,
  type ProtocolErrorCode,
} from './index.js';
import { cancelRequest, cstr, gssencRequest, int32, sslRequest, startup, text, typed, untyped } from '../test/bytes.js';

function framesOf(parser: FrameParser, ...chunks: Buffer[]): Frame[] {
  const frames: Frame[] = [];
  for (const chunk of chunks) parser.parse(chunk, (frame) => frames.push(frame));
  return frames;
}

function failure(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

function expectCode(run: () => unknown, code: ProtocolErrorCode): void {
  expect(failure(run).code).toBe(code);
}

/** A typed header announcing `length` with no body: enough to hit the length checks. */
function header(code: string, length: number): Buffer {
  return Buffer.concat([text(code), int32(length)]);
}

const messages = () => new FrontendParser({ phase: 'message' });

describe('zero-copy framing', () => {
  test('a frame inside one chunk is a view over that chunk', () => {
    const chunk = Buffer.concat([typed('Q', cstr('select 1')), typed('S')]);
    const [query, sync] = framesOf(messages(), chunk);
    expect(query!.bytes.buffer).toBe(chunk.buffer);
    expect(query!.bytes.byteOffset).toBe(chunk.byteOffset);
    expect(sync!.bytes.byteOffset).toBe(chunk.byteOffset + query!.bytes.length);
    expect(query!.body.toString()).toBe('select 1\0');
  });

  test('a frame spanning chunks gets its own buffer, never overwritten by later input', () => {
    const first = typed('d', Buffer.alloc(10_000, 0x61));
    const second = typed('d', Buffer.alloc(10_000, 0x62));
    const all = Buffer.concat([first, second, first]);
    const parser = messages();
    const frames: Frame[] = [];
    // Chunks that cut every frame in two, so each one is assembled.
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < all.length; offset += 7_001)
      chunks.push(Buffer.from(all.subarray(offset, offset + 7_001)));
    for (const chunk of chunks) parser.parse(chunk, (frame) => frames.push(frame));
    // The caller recycles its chunks: assembled frames must not care.
    for (const chunk of chunks) chunk.fill(0);
    expect(frames.map((frame) => frame.bytes.equals(frame === frames[1] ? second : first))).toEqual([true, true, true]);
    // Two assembled frames never share bytes (they may share an allocation: Node 24's Buffer.concat
    // can hand out slices of one, so compare ranges, not ArrayBuffers).
    const [a, c] = [frames[0]!.bytes, frames[2]!.bytes];
    const disjoint =
      a.buffer !== c.buffer || a.byteOffset + a.length <= c.byteOffset || c.byteOffset + c.length <= a.byteOffset;
    expect(disjoint).toBe(true);
  });

  test('a chunk may end anywhere, even inside the header', () => {
    const bytes = typed('Q', cstr('select 1'));
    const parser = messages();
    expect(framesOf(parser, bytes.subarray(0, 3))).toEqual([]);
    expect(parser.bufferedBytes).toBe(3);
    const [frame] = framesOf(parser, bytes.subarray(3));
    expect(frame!.bytes.equals(bytes)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });

  test('frames report kind, code and the length word', () => {
    const [frame] = framesOf(messages(), typed('Q', cstr('x')));
    expect(frame).toMatchObject({ kind: 'message', code: 0x51, length: 6 });
  });
});

describe('FrontendParser startup phase', () => {
  test('startup-phase packets, then typed messages', () => {
    const parser = new FrontendParser();
    const frames = framesOf(parser, sslRequest(), gssencRequest(), startup({ user: 'u' }), typed('X'));
    expect(frames.map((frame) => [frame.kind, frame.code])).toEqual([
      ['ssl-request', 80877103],
      ['gssenc-request', 80877104],
      ['startup', 196608],
      ['message', 0x58],
    ]);
    expect(parser.startupPhase).toBe(false);
  });

  test('a cancel request is a startup-phase packet', () => {
    const [frame] = framesOf(new FrontendParser(), cancelRequest(7, 99));
    expect(frame).toMatchObject({ kind: 'cancel-request', code: 80877102, length: 16 });
  });

  test('protocol 3.2 startup messages are framed (the server negotiates the minor version)', () => {
    const [frame] = framesOf(new FrontendParser(), startup({ user: 'u' }, (3 << 16) | 2));
    expect(frame).toMatchObject({ kind: 'startup', code: 196610 });
  });

  test('protocol 2.0 and unknown request codes are refused', () => {
    expectCode(() => framesOf(new FrontendParser(), startup({ user: 'u' }, 2 << 16)), 'UNSUPPORTED_PROTOCOL_VERSION');
    expectCode(() => framesOf(new FrontendParser(), untyped(int32(80877199))), 'UNSUPPORTED_PROTOCOL_VERSION');
  });

  test('startup lengths are checked before any body arrives', () => {
    expectCode(() => framesOf(new FrontendParser(), Buffer.concat([int32(7), int32(196608)])), 'INVALID_LENGTH');
    expectCode(
      () => framesOf(new FrontendParser(), Buffer.concat([int32(10_001), int32(196608)])),
      'MESSAGE_TOO_LARGE',
    );
    expectCode(() => framesOf(new FrontendParser(), Buffer.concat([int32(12), int32(80877103)])), 'INVALID_LENGTH');
    expectCode(() => framesOf(new FrontendParser(), Buffer.concat([int32(12), int32(80877102)])), 'INVALID_LENGTH');
    expectCode(
      () => framesOf(new FrontendParser({ maxStartupLength: 100 }), Buffer.concat([int32(101), int32(196608)])),
      'MESSAGE_TOO_LARGE',
    );
  });

  test('bytes after an SSLRequest in the same chunk are refused (CVE-2021-23214)', () => {
    const error = failure(() => framesOf(new FrontendParser(), Buffer.concat([sslRequest(), startup({ user: 'u' })])));
    expect(error.code).toBe('UNEXPECTED_DATA');
    // In the next chunk, after the server could answer, they are fine.
    expect(framesOf(new FrontendParser(), sslRequest(), startup({ user: 'u' }))).toHaveLength(2);
  });

  test('the SSLRequest frame is still delivered before the error', () => {
    const frames: Frame[] = [];
    expect(() =>
      new FrontendParser().parse(Buffer.concat([gssencRequest(), Buffer.from([1])]), (f) => frames.push(f)),
    ).toThrow(ProtocolError);
    expect(frames.map((frame) => frame.kind)).toEqual(['gssenc-request']);
  });
});

describe('FrontendParser startup length word', () => {
  test('is judged as soon as its four bytes are in (a Terminate sent first fails at once)', () => {
    expectCode(() => framesOf(new FrontendParser(), typed('X')), 'MESSAGE_TOO_LARGE');
    expectCode(() => framesOf(new FrontendParser(), int32(3)), 'INVALID_LENGTH');
    const parser = new FrontendParser();
    expect(framesOf(parser, Buffer.from([0x58, 0]))).toEqual([]);
    expectCode(() => framesOf(parser, Buffer.from([0, 0])), 'MESSAGE_TOO_LARGE');
    expect(framesOf(new FrontendParser(), int32(8))).toEqual([]);
  });
});

describe('FrontendParser limits', () => {
  test('a length word below 4 or negative is invalid', () => {
    expectCode(() => framesOf(messages(), header('Q', 3)), 'INVALID_LENGTH');
    expectCode(() => framesOf(messages(), header('Q', -1)), 'INVALID_LENGTH');
  });

  test('large messages are capped at 64 MiB by default, and configurably', () => {
    expect(framesOf(messages(), header('Q', 64 * 1024 * 1024))).toEqual([]);
    expectCode(() => framesOf(messages(), header('Q', 64 * 1024 * 1024 + 1)), 'MESSAGE_TOO_LARGE');
    expectCode(
      () => framesOf(new FrontendParser({ phase: 'message', maxMessageLength: 1000 }), header('d', 1001)),
      'MESSAGE_TOO_LARGE',
    );
  });

  test('control messages are capped at 10000 bytes and password messages at 65535, like PostgreSQL', () => {
    for (const code of ['S', 'H', 'X', 'C', 'D', 'E', 'c', 'f']) {
      expectCode(() => framesOf(messages(), header(code, 10_001)), 'MESSAGE_TOO_LARGE');
    }
    expectCode(() => framesOf(messages(), header('p', 65_536)), 'MESSAGE_TOO_LARGE');
    expect(framesOf(messages(), header('p', 65_535))).toEqual([]);
  });

  test('type bytes the protocol does not define are refused', () => {
    expectCode(() => framesOf(messages(), header('Z', 4)), 'UNKNOWN_MESSAGE_TYPE');
    expectCode(() => framesOf(messages(), Buffer.from([0, 0, 0, 0, 4])), 'UNKNOWN_MESSAGE_TYPE');
  });

  test('a failed parser keeps failing with the same error', () => {
    const parser = messages();
    const error = failure(() => framesOf(parser, header('Q', 2)));
    expect(failure(() => framesOf(parser, typed('S')))).toBe(error);
  });

  test('options out of range are a programming error', () => {
    expect(() => new FrontendParser({ maxMessageLength: 0 })).toThrow(RangeError);
    expect(() => new BackendParser({ maxMessageLength: 2 ** 31 })).toThrow(RangeError);
  });
});

describe('BackendParser limits', () => {
  test('accepts up to 1 GiB - 1 by default, configurable', () => {
    const backend = new BackendParser();
    expect(framesOf(backend, header('D', 0x3fff_ffff))).toEqual([]);
    expectCode(() => framesOf(new BackendParser(), header('D', 0x4000_0000)), 'MESSAGE_TOO_LARGE');
    expectCode(() => framesOf(new BackendParser({ maxMessageLength: 100 }), header('D', 101)), 'MESSAGE_TOO_LARGE');
    expectCode(() => framesOf(new BackendParser(), header('D', 0)), 'INVALID_LENGTH');
  });

  test('memory held for a large announced message grows with the bytes received, not the length word', () => {
    const parser = new BackendParser();
    const before = process.memoryUsage().arrayBuffers;
    parser.parse(header('d', 0x3fff_ffff), () => {});
    for (let i = 0; i < 10; i++) parser.parse(Buffer.alloc(1000), () => {});
    expect(parser.bufferedBytes).toBe(10_005);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  test('frames any type byte, so a proxy can forward what newer servers add', () => {
    expect(framesOf(new BackendParser(), typed('~', text('x')))).toHaveLength(1);
  });
});

describe('BackendParser encryption responses', () => {
  test("'N' to an SSLRequest, then typed messages", () => {
    const parser = new BackendParser();
    parser.expectSslResponse();
    const frames = framesOf(parser, Buffer.concat([text('N'), typed('R', int32(0))]));
    expect(frames.map((frame) => [frame.kind, frame.code, frame.length])).toEqual([
      ['encryption-response', 0x4e, 1],
      ['message', 0x52, 8],
    ]);
  });

  test("'S' ends the plaintext stream: bytes after it are refused (CVE-2021-23222)", () => {
    const parser = new BackendParser();
    parser.expectSslResponse();
    expectCode(() => framesOf(parser, Buffer.concat([text('S'), typed('R', int32(0))])), 'UNEXPECTED_DATA');

    const later = new BackendParser();
    later.expectSslResponse();
    expect(framesOf(later, text('S'))[0]).toMatchObject({
      kind: 'encryption-response',
      code: 0x53,
    });
    expectCode(() => framesOf(later, text('x')), 'UNEXPECTED_DATA');
  });

  test("'G' answers a GSSENCRequest; the letters of the other request are refused", () => {
    const gss = new BackendParser();
    gss.expectGssencResponse();
    expect(framesOf(gss, text('G'))[0]).toMatchObject({ kind: 'encryption-response', code: 0x47 });

    const ssl = new BackendParser();
    ssl.expectSslResponse();
    expectCode(() => framesOf(ssl, text('G')), 'MALFORMED');
  });

  test('a pre-SSL server answering with an ErrorResponse is framed as a message', () => {
    const parser = new BackendParser();
    parser.expectSslResponse();
    const error = typed('E', text('SFATAL'), Buffer.from([0]), Buffer.from([0]));
    const frames = framesOf(parser, error.subarray(0, 2), error.subarray(2));
    expect(frames.map((frame) => [frame.kind, frame.code])).toEqual([['message', 0x45]]);
  });

  test('expecting a response while a server message is half received is refused', () => {
    const parser = new BackendParser();
    parser.parse(typed('Z', text('I')).subarray(0, 3), () => {});
    expectCode(() => parser.expectSslResponse(), 'UNEXPECTED_DATA');
  });
});
