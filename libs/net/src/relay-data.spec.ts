import { describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DataHelloError, encodeDataHello, readDataHello } from './relay-data.js';

const hello = () => ({ tunnelId: randomUUID(), ticket: randomBytes(32), credential: 'postern_agent_x.y' });

describe('relay data hello', () => {
  test('round-trips at every chunk boundary, leaving the raw bytes after it', () => {
    const sent = hello();
    const bytes = Buffer.concat([encodeDataHello(sent), Buffer.from('raw')]);
    for (let cut = 0; cut < bytes.length; cut++) {
      const partial = readDataHello(bytes.subarray(0, cut));
      if (cut < bytes.length - 3) expect(partial).toBeUndefined();
    }
    const read = readDataHello(bytes)!;
    expect(read.hello).toEqual(sent);
    expect(read.rest.toString()).toBe('raw');
  });

  test('refuses oversized, non-JSON and malformed openings', () => {
    const big = Buffer.alloc(4);
    big.writeUInt32BE(1 << 20);
    expect(() => readDataHello(big)).toThrow(DataHelloError);
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]);
    expect(() => readDataHello(junk)).toThrow(DataHelloError);
    const short = encodeDataHello(hello())
      .toString('utf8')
      .replace(/"ticket":"[0-9a-f]+"/, '"ticket":"00"');
    const frame = Buffer.from(short.slice(4), 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(frame.length);
    expect(() => readDataHello(Buffer.concat([head, frame]))).toThrow(DataHelloError);
  });

  test('garbage never crashes: it is incomplete or refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          readDataHello(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(DataHelloError);
        }
      }),
    );
  });
});
