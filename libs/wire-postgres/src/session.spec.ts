import { describe, expect, test } from '@jest/globals';
import {
  BackendParser,
  decodeBackend,
  decodeFrontend,
  encodeBackend,
  encodeFrontend,
  FrontendParser,
  type Frame,
  type FrameParser,
} from './index.js';
import { backendBytes, backendSession, frontendBytes, frontendSession } from '../test/session-fixture.js';

interface Wire {
  kind: string;
  code: number;
  length: number;
  bytes: string;
}

function collect(parser: FrameParser, chunks: readonly Buffer[]): Wire[] {
  const frames: Wire[] = [];
  const onFrame = (frame: Frame): void => {
    // Copy out while the frame is fresh, then check later that it did not change.
    frames.push({
      kind: frame.kind,
      code: frame.code,
      length: frame.length,
      bytes: frame.bytes.toString('hex'),
    });
  };
  for (const chunk of chunks) parser.parse(chunk, onFrame);
  expect(parser.bufferedBytes).toBe(0);
  return frames;
}

const directions = [
  {
    name: 'client → server',
    bytes: frontendBytes,
    steps: frontendSession,
    parser: () => new FrontendParser(),
  },
  {
    name: 'server → client',
    bytes: backendBytes,
    steps: backendSession,
    parser: () => new BackendParser(),
  },
];

describe.each(directions)('a realistic session, $name', ({ bytes, steps, parser }) => {
  const expected = collect(parser(), [bytes]);

  test('one chunk yields one frame per packet, each the packet bytes', () => {
    expect(expected.map((frame) => frame.bytes)).toEqual(steps.map((step) => step.bytes.toString('hex')));
  });

  test('every split into two chunks yields the same frames', () => {
    for (let offset = 0; offset <= bytes.length; offset++) {
      const frames = collect(parser(), [bytes.subarray(0, offset), bytes.subarray(offset)]);
      if (frames.length !== expected.length) throw new Error(`split at ${offset} lost frames`);
      expect(frames).toEqual(expected);
    }
  });

  test('feeding one byte at a time yields the same frames', () => {
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(collect(parser(), chunks)).toEqual(expected);
  });
});

describe('decoding the session', () => {
  test('every client packet decodes to its message and encodes back to the same bytes', () => {
    const parser = new FrontendParser();
    const frames: Frame[] = [];
    parser.parse(frontendBytes, (frame) => frames.push(frame));
    frames.forEach((frame, i) => {
      const step = frontendSession[i]!;
      const message = decodeFrontend(frame, step.passwordContext);
      expect(message).toEqual(step.message);
      expect(encodeFrontend(message).toString('hex')).toBe(step.bytes.toString('hex'));
    });
  });

  test('every server packet decodes to its message and encodes back to the same bytes', () => {
    const parser = new BackendParser();
    const frames: Frame[] = [];
    parser.parse(backendBytes, (frame) => frames.push(frame));
    frames.forEach((frame, i) => {
      const step = backendSession[i]!;
      const message = decodeBackend(frame);
      expect(message).toEqual(step.message);
      expect(encodeBackend(message).toString('hex')).toBe(step.bytes.toString('hex'));
    });
  });
});
