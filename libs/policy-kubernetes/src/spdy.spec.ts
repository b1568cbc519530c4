import { constants as zlibConstants, createDeflate } from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import {
  controlFrame,
  dataFrame,
  decodeHeaders,
  encodeHeaders,
  HeaderCompressor,
  HeaderDecompressor,
  SPDY3_DICTIONARY,
  SpdyFrameReader,
  SpdyType,
  synReply,
} from './spdy.js';

/** Compresses blocks the way client-go's spdystream does: one zlib stream, a sync flush per block. */
async function zlibBlocks(blocks: Buffer[]): Promise<Buffer[]> {
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  for (const block of blocks) {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    deflate.on('data', onData);
    deflate.write(block);
    await new Promise<void>((resolve) => deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    deflate.off('data', onData);
    out.push(Buffer.concat(chunks));
  }
  deflate.close();
  return out;
}

describe('SPDY/3.1 codec', () => {
  test('the dictionary is the 1423 bytes of the SPDY/3 draft', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY3_DICTIONARY.subarray(-6).toString()).toBe('enq=0.');
  });

  test('frames are read whole whatever the chunk boundaries', () => {
    const stream = Buffer.concat([
      dataFrame(3, Buffer.from('hello'), true),
      synReply(1, Buffer.from([1, 2, 3])),
      controlFrame(SpdyType.Ping, 0, Buffer.from([0, 0, 0, 7])),
    ]);
    for (let split = 0; split <= stream.length; split += 1) {
      for (let second = split; second <= stream.length; second += 7) {
        const reader = new SpdyFrameReader();
        const frames = [
          ...reader.push(stream.subarray(0, split)),
          ...reader.push(stream.subarray(split, second)),
          ...reader.push(stream.subarray(second)),
        ];
        expect(frames).toEqual([
          { control: false, streamId: 3, flags: 1, data: Buffer.from('hello') },
          { control: true, type: SpdyType.SynReply, flags: 0, payload: Buffer.from([0, 0, 0, 1, 1, 2, 3]) },
          { control: true, type: SpdyType.Ping, flags: 0, payload: Buffer.from([0, 0, 0, 7]) },
        ]);
      }
    }
  });

  test('another SPDY version is refused', () => {
    const frame = controlFrame(SpdyType.Ping, 0, Buffer.from([0, 0, 0, 1]));
    frame.writeUInt16BE(0x8002, 0);
    expect(() => new SpdyFrameReader().push(frame)).toThrow('SPDY version 2');
  });

  test('header blocks compressed by a real zlib stream decompress block by block', async () => {
    // Enough blocks to push the first ones out of deflate's 32 KiB window.
    const headers = Array.from({ length: 600 }, (_, i) => ({
      streamtype: i % 2 === 0 ? 'error' : 'data',
      port: '8080',
      requestid: String(i >> 1),
      padding: `value-${i}-`.repeat(10),
    }));
    const compressed = await zlibBlocks(headers.map((h) => encodeHeaders(h)));
    const decompressor = new HeaderDecompressor();
    expect(compressed.map((block) => decodeHeaders(decompressor.decompress(block)))).toEqual(headers);
  });

  test('the compressor writes one zlib stream any inflater reads block by block', () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const blocks = [{}, { ':status': '200' }, { big: 'x'.repeat(70_000) }];
    for (const headers of blocks)
      expect(decodeHeaders(decompressor.decompress(compressor.compress(encodeHeaders(headers))))).toEqual(headers);
  });

  test('a truncated header block is an error, not a crash', () => {
    expect(() => decodeHeaders(Buffer.from([0, 0, 0, 2, 0, 0, 0, 9, 65]))).toThrow('header block truncated');
  });
});
