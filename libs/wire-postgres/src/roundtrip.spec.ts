import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  BackendParser,
  decodeBackend,
  decodeFrontend,
  encodeBackend,
  encodeFrontend,
  type Frame,
  type FrameParser,
  FrontendParser,
} from './index.js';
import { backendMessage, passwordMessage, startupPhaseMessage, typedFrontendMessage } from '../test/arbitraries.js';
import { splitAt } from '../test/bytes.js';

function frames(parser: FrameParser, chunks: readonly Buffer[]): Frame[] {
  const out: Frame[] = [];
  for (const chunk of chunks) parser.parse(chunk, (frame) => out.push(frame));
  expect(parser.bufferedBytes).toBe(0);
  return out;
}

function single(parser: FrameParser, bytes: Buffer): Frame {
  const [frame, ...rest] = frames(parser, [bytes]);
  expect(rest).toHaveLength(0);
  expect(frame!.bytes.equals(bytes)).toBe(true);
  return frame!;
}

describe('parse(serialize(m)) = m', () => {
  test('startup-phase packets', () => {
    fc.assert(
      fc.property(startupPhaseMessage, (message) => {
        expect(decodeFrontend(single(new FrontendParser(), encodeFrontend(message)))).toEqual(message);
      }),
    );
  });

  test("'p' messages, given their password context", () => {
    fc.assert(
      fc.property(passwordMessage, ([message, context]) => {
        const frame = single(new FrontendParser({ phase: 'message' }), encodeFrontend(message));
        expect(decodeFrontend(frame, context)).toEqual(message);
      }),
    );
  });

  test('typed client messages', () => {
    fc.assert(
      fc.property(typedFrontendMessage, (message) => {
        expect(decodeFrontend(single(new FrontendParser({ phase: 'message' }), encodeFrontend(message)))).toEqual(
          message,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('server messages', () => {
    fc.assert(
      fc.property(backendMessage, (message) => {
        expect(decodeBackend(single(new BackendParser(), encodeBackend(message)))).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sequences survive arbitrary chunking', () => {
  test('client messages', () => {
    fc.assert(
      fc.property(
        fc.array(typedFrontendMessage, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (messages, rawCuts) => {
          const bytes = Buffer.concat(messages.map(encodeFrontend));
          const offsets = rawCuts.map((cut) => cut % (bytes.length + 1));
          const decoded = frames(new FrontendParser({ phase: 'message' }), splitAt(bytes, offsets)).map((f) =>
            decodeFrontend(f),
          );
          expect(decoded).toEqual(messages);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('server messages', () => {
    fc.assert(
      fc.property(
        fc.array(backendMessage, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (messages, rawCuts) => {
          const bytes = Buffer.concat(messages.map(encodeBackend));
          const offsets = rawCuts.map((cut) => cut % (bytes.length + 1));
          const decoded = frames(new BackendParser(), splitAt(bytes, offsets)).map(decodeBackend);
          expect(decoded).toEqual(messages);
        },
      ),
      { numRuns: 200 },
    );
  });
});
