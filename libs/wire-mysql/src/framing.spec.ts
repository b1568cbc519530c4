import { describe, expect, test } from '@jest/globals';
import { MAX_PACKET_PAYLOAD, nextSequenceId, packet, packetCountFor, PacketReader } from './index.js';
import { pkt, splitAt, text, u8 } from '../test/bytes.js';
import { failure, messagesOf } from '../test/fixtures.js';

/** Header of a packet announcing `length` bytes, for limit checks without the body. */
function header(length: number, sequenceId = 0): Buffer {
  return Buffer.from([length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, sequenceId]);
}

describe('zero-copy framing', () => {
  test('a message inside one chunk is a view of that chunk', () => {
    const chunk = Buffer.concat([pkt(0, u8(3), text('select 1')), pkt(0, u8(0x0e))]);
    const [query, ping] = messagesOf(new PacketReader(), chunk);
    expect(query!.bytes.buffer).toBe(chunk.buffer);
    expect(query!.payload.byteOffset).toBe(chunk.byteOffset + 4);
    expect(ping!.bytes.byteOffset).toBe(chunk.byteOffset + query!.bytes.length);
    expect(query!.payload.toString('latin1', 1)).toBe('select 1');
    expect(query).toMatchObject({ sequenceId: 0, lastSequenceId: 0, packetCount: 1 });
  });

  test('a chunk may end anywhere, even inside the header', () => {
    const bytes = pkt(3, text('hello'));
    const reader = new PacketReader();
    expect(messagesOf(reader, bytes.subarray(0, 2))).toEqual([]);
    expect(reader.bufferedBytes).toBe(2);
    expect(messagesOf(reader, bytes.subarray(2, 6))).toEqual([]);
    const [message] = messagesOf(reader, bytes.subarray(6));
    expect(message!.payload.toString()).toBe('hello');
    expect(message!.sequenceId).toBe(3);
    expect(message!.bytes.equals(bytes)).toBe(true);
    expect(reader.bufferedBytes).toBe(0);
  });

  test('an assembled message owns its bytes: recycling the chunks does not change it', () => {
    const bytes = Buffer.concat([pkt(1, Buffer.alloc(5000, 0x61)), pkt(2, Buffer.alloc(10, 0x62))]);
    const chunks = splitAt(Buffer.from(bytes), [1000, 3000]).map((c) => Buffer.from(c));
    const messages = messagesOf(new PacketReader(), ...chunks);
    for (const chunk of chunks) chunk.fill(0);
    expect(messages[0]!.payload.equals(Buffer.alloc(5000, 0x61))).toBe(true);
  });

  test('an empty payload is a message', () => {
    const [message] = messagesOf(new PacketReader(), pkt(7));
    expect(message!.payload.length).toBe(0);
    expect(message!.sequenceId).toBe(7);
  });
});

describe('16 MiB payloads', () => {
  const big = Buffer.alloc(MAX_PACKET_PAYLOAD + 1000);
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
  big[big.length - 1] = 0x7f;

  test('are split into packets of 0xFFFFFF bytes, with consecutive sequence ids', () => {
    const bytes = packet(big, 255);
    expect(bytes.length).toBe(big.length + 8);
    expect(bytes.readUIntLE(0, 3)).toBe(MAX_PACKET_PAYLOAD);
    expect(bytes[3]).toBe(255);
    const second = 4 + MAX_PACKET_PAYLOAD;
    expect(bytes.readUIntLE(second, 3)).toBe(1000);
    expect(bytes[second + 3]).toBe(0);
    expect(nextSequenceId(big.length, 255)).toBe(1);
  });

  test('are reassembled from any chunking, and `bytes` rebuilds the exact packets', () => {
    const bytes = packet(big, 9);
    for (const cuts of [
      [],
      [3],
      [MAX_PACKET_PAYLOAD + 2],
      [MAX_PACKET_PAYLOAD + 4, MAX_PACKET_PAYLOAD + 6],
      [65536, 131072],
    ]) {
      const [message, ...rest] = messagesOf(new PacketReader(), ...splitAt(bytes, cuts));
      expect(rest).toHaveLength(0);
      expect(message!.payload.equals(big)).toBe(true);
      expect(message).toMatchObject({ sequenceId: 9, lastSequenceId: 10, packetCount: 2 });
      expect(message!.bytes.equals(bytes)).toBe(true);
    }
  });

  test('an exact multiple of 0xFFFFFF ends with an empty packet', () => {
    const exact = Buffer.alloc(MAX_PACKET_PAYLOAD, 1);
    const bytes = packet(exact, 0);
    expect(packetCountFor(exact.length)).toBe(2);
    expect(bytes.length).toBe(exact.length + 8);
    expect(bytes.subarray(bytes.length - 4)).toEqual(Buffer.from([0, 0, 0, 1]));
    const [message] = messagesOf(new PacketReader(), bytes);
    expect(message!.payload.length).toBe(MAX_PACKET_PAYLOAD);
    expect(message!.packetCount).toBe(2);
  });

  test('a continuation packet out of sequence is refused', () => {
    const bytes = packet(big, 0);
    bytes[4 + MAX_PACKET_PAYLOAD + 3] = 5;
    expect(failure(() => messagesOf(new PacketReader(), bytes)).code).toBe('PACKET_OUT_OF_ORDER');
  });
});

describe('limits', () => {
  test('a message over the limit fails on its header, before the body is buffered', () => {
    const reader = new PacketReader({ maxMessageLength: 100 });
    expect(messagesOf(reader, header(100), Buffer.alloc(100))).toHaveLength(1);
    const error = failure(() => messagesOf(reader, header(101)));
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toMatch(/exceeds the limit of 100/);
  });

  test('the limit counts all packets of a message', () => {
    const reader = new PacketReader({ maxMessageLength: MAX_PACKET_PAYLOAD + 10 });
    reader.parse(header(MAX_PACKET_PAYLOAD), () => {});
    reader.parse(Buffer.alloc(MAX_PACKET_PAYLOAD), () => {});
    expect(failure(() => reader.parse(header(11, 1), () => {})).code).toBe('MESSAGE_TOO_LARGE');
  });

  test('memory held grows with the bytes received, not with the announced length', () => {
    const reader = new PacketReader();
    const before = process.memoryUsage().arrayBuffers;
    reader.parse(header(MAX_PACKET_PAYLOAD), () => {});
    for (let i = 0; i < 10; i++) reader.parse(Buffer.alloc(1000), () => {});
    expect(reader.bufferedBytes).toBe(10_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
  });

  test('a failed reader keeps failing with the same error', () => {
    const reader = new PacketReader({ maxMessageLength: 1 });
    const error = failure(() => messagesOf(reader, header(2)));
    expect(failure(() => messagesOf(reader, pkt(0)))).toBe(error);
  });

  test('messages before the bad one are delivered', () => {
    const delivered: number[] = [];
    const reader = new PacketReader({ maxMessageLength: 5 });
    expect(() =>
      reader.parse(Buffer.concat([pkt(0, text('ok')), header(6)]), (m) => delivered.push(m.payload.length)),
    ).toThrow();
    expect(delivered).toEqual([2]);
  });

  test('a bad limit is a programming error', () => {
    expect(() => new PacketReader({ maxMessageLength: -1 })).toThrow(RangeError);
  });
});
