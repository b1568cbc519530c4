import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chainHash, chainSeed } from '@postern/contracts';
import { InvalidEventError, parseEventLines } from './recording-chain.js';

const SESSION = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('recording hash chain', () => {
  test('the seed is sha256("postern-recording:" + session id), whatever the id’s case', () => {
    const expected = createHash('sha256').update(`postern-recording:${SESSION}`).digest();
    expect(chainSeed(SESSION)).toEqual(expected);
    expect(chainSeed(SESSION.toUpperCase())).toEqual(expected);
  });

  test('a link is sha256(prev || uint64be(seq) || final byte || data)', () => {
    const prev = chainSeed(SESSION);
    const data = Buffer.from('{"at":1,"type":"session.start"}\n');
    const header = Buffer.from([0, 0, 0, 0, 0, 0, 1, 2, 1]);
    const expected = createHash('sha256')
      .update(Buffer.concat([prev, header, data]))
      .digest();
    expect(chainHash(prev, 258, true, data)).toEqual(expected);
    expect(chainHash(prev, 258, false, data)).not.toEqual(expected);
  });
});

describe('parseEventLines', () => {
  test('one event per line; empty lines and CRLF endings are tolerated', () => {
    const events = parseEventLines(
      Buffer.from(
        '{"at":1700000000000,"type":"session.start"}\r\n\n{"at":1700000000001,"type":"statement","sql":"select 1"}\n',
      ),
    );
    expect(events.map(({ index, type, json }) => ({ index, type, json }))).toEqual([
      { index: 0, type: 'session.start', json: '{"at":1700000000000,"type":"session.start"}' },
      { index: 1, type: 'statement', json: '{"at":1700000000001,"type":"statement","sql":"select 1"}' },
    ]);
    expect(events[1]!.at.toISOString()).toBe('2023-11-14T22:13:20.001Z');
    expect(parseEventLines(Buffer.alloc(0))).toEqual([]);
  });

  test.each([
    ['{"at":1,"type":"x"}\nnot json\n', /line 2 is not JSON/],
    ['[1,2]', /line 1 is not a JSON object/],
    ['{"type":"x"}', /line 1: "at" must be epoch milliseconds/],
    ['{"at":"yesterday","type":"x"}', /"at" must be epoch milliseconds/],
    ['{"at":1e300,"type":"x"}', /"at" must be epoch milliseconds/],
    ['{"at":1,"type":""}', /"type" must be a non-empty string/],
    ['{"at":1}', /"type" must be a non-empty string/],
  ])('refuses %j', (text, message) => {
    expect(() => parseEventLines(Buffer.from(text))).toThrow(message);
  });

  test('refuses bytes that are not UTF-8', () => {
    expect(() => parseEventLines(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(InvalidEventError);
  });
});
