import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  BackendCode,
  BackendParser,
  decodeBackend,
  decodeFrontend,
  encodeBackend,
  encodeFrontend,
  type Frame,
  type FrameParser,
  FrontendCode,
  FrontendParser,
  type PasswordContext,
  ProtocolError,
} from './index.js';
import { int32, splitAt, typed, untyped } from '../test/bytes.js';

// "Garbage never crashes": whatever the peer sends, parsers and decoders either produce
// frames and messages or throw ProtocolError, never another exception, and always return.

const garbage = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const cutsOf = fc.array(fc.nat(), { maxLength: 8 });
const contexts: (PasswordContext | undefined)[] = [undefined, 'password', 'sasl-initial', 'sasl'];

/** Runs `run`; a ProtocolError is an accepted outcome, any other exception fails the property. */
function tolerate<T>(run: () => T): T | ProtocolError {
  try {
    return run();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
}

function feed(parser: FrameParser, bytes: Buffer, rawCuts: number[]): Frame[] {
  const frames: Frame[] = [];
  const chunks = splitAt(
    bytes,
    rawCuts.map((cut) => cut % (bytes.length + 1)),
  );
  tolerate(() => {
    for (const chunk of chunks) parser.parse(chunk, (frame) => frames.push(frame));
  });
  return frames;
}

type ParserCase = [string, () => FrameParser, (frame: Frame, context: PasswordContext | undefined) => unknown];
const parsers: ParserCase[] = [
  ['FrontendParser (startup phase)', () => new FrontendParser(), decodeFrontend],
  ['FrontendParser (message phase)', () => new FrontendParser({ phase: 'message' }), decodeFrontend],
  ['BackendParser', () => new BackendParser(), decodeBackend],
  [
    'BackendParser (awaiting an SSL answer)',
    () => {
      const parser = new BackendParser();
      parser.expectSslResponse();
      return parser;
    },
    decodeBackend,
  ],
];

describe.each(parsers)('%s on arbitrary bytes', (_name, makeParser, decode) => {
  test('yields frames or a ProtocolError, in any chunking', () => {
    fc.assert(
      fc.property(garbage, cutsOf, fc.constantFrom(...contexts), (bytes, rawCuts, context) => {
        for (const frame of feed(makeParser(), bytes, rawCuts)) tolerate(() => decode(frame, context));
      }),
      { numRuns: 500 },
    );
  });
});

/** Valid headers around random bodies, so decoders (not only the framer) see garbage. */
const typedGarbage = (codes: number[]) =>
  fc
    .array(fc.tuple(fc.constantFrom(...codes), fc.uint8Array({ maxLength: 40 })), {
      minLength: 1,
      maxLength: 6,
    })
    .map((frames) => Buffer.concat(frames.map(([code, body]) => typed(String.fromCharCode(code), Buffer.from(body)))));

/** Decoding is stable: what decodes re-encodes to bytes that decode to the same message. */
function checkStable(
  frames: Frame[],
  reparse: () => FrameParser,
  decode: (frame: Frame) => unknown,
  encode: (message: never) => Buffer,
): void {
  for (const frame of frames) {
    const message = tolerate(() => decode(frame));
    if (message instanceof ProtocolError) continue;
    const again: Frame[] = [];
    reparse().parse(encode(message as never), (f) => again.push(f));
    expect(decode(again[0]!)).toEqual(message);
  }
}

describe('decoders on well-framed random bodies', () => {
  test('client messages', () => {
    fc.assert(
      fc.property(
        typedGarbage(Object.values(FrontendCode)),
        cutsOf,
        fc.constantFrom(...contexts),
        (bytes, rawCuts, context) => {
          const parser = () => new FrontendParser({ phase: 'message', maxMessageLength: 1000 });
          const decode = (frame: Frame) => decodeFrontend(frame, context);
          checkStable(feed(parser(), bytes, rawCuts), parser, decode, encodeFrontend);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('startup packets', () => {
    const codes = fc.constantFrom(196608, 196610, 80877102, 80877103, 80877104);
    fc.assert(
      fc.property(codes, fc.uint8Array({ maxLength: 40 }), (code, body) => {
        const parser = () => new FrontendParser();
        checkStable(
          feed(parser(), untyped(int32(code), Buffer.from(body)), []),
          parser,
          (f) => decodeFrontend(f),
          encodeFrontend,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('server messages', () => {
    fc.assert(
      fc.property(typedGarbage(Object.values(BackendCode)), cutsOf, (bytes, rawCuts) => {
        const parser = () => new BackendParser();
        checkStable(feed(parser(), bytes, rawCuts), parser, decodeBackend, encodeBackend);
      }),
      { numRuns: 500 },
    );
  });
});
