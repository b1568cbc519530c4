import { describe, expect, test } from '@jest/globals';
import { SftpObserver, type SftpOperation } from './sftp-observer.js';

// Byte builders for SFTP v3 packets.
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: string | Buffer) => {
  const bytes = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u32(bytes.length), bytes]);
};
const packet = (type: number, ...fields: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([type]), ...fields]);
  return Buffer.concat([u32(body.length), body]);
};
const u64 = (n: number) => Buffer.concat([u32(0), u32(n)]);
const ATTRS_NONE = u32(0);

const HANDLE_W = Buffer.from([1, 2]);
const HANDLE_R = Buffer.from([3, 4]);
const data = Buffer.alloc(40_000, 7);

const ok = (id: number) => packet(101, u32(id), u32(0), str(''), str(''));

/** A conversation in order, as runs of one side's packets: requests, then the answers to them. */
const conversation: ['client' | 'server', Buffer][] = [
  ['client', packet(1, u32(3))], // INIT
  ['server', packet(2, u32(3))], // VERSION
  ['client', packet(3, u32(1), str('/tmp/up.bin'), u32(2 | 8 | 16), ATTRS_NONE)], // OPEN write|creat|trunc
  ['server', packet(102, u32(1), str(HANDLE_W))],
  [
    'client',
    Buffer.concat([
      packet(6, u32(2), str(HANDLE_W), u64(0), str(data)),
      packet(6, u32(3), str(HANDLE_W), u64(40_000), str(data.subarray(0, 100))),
      packet(4, u32(4), str(HANDLE_W)),
      packet(3, u32(5), str('/etc/hosts'), u32(1), ATTRS_NONE),
    ]),
  ],
  ['server', Buffer.concat([ok(2), ok(3), ok(4), packet(102, u32(5), str(HANDLE_R))])],
  ['client', packet(5, u32(6), str(HANDLE_R), u64(0), u32(32_768))],
  ['server', packet(103, u32(6), str(Buffer.alloc(321, 1)))],
  [
    'client',
    Buffer.concat([
      packet(4, u32(7), str(HANDLE_R)),
      packet(13, u32(8), str('/tmp/old')),
      packet(18, u32(9), str('/tmp/a'), str('/tmp/b')),
    ]),
  ],
  ['server', Buffer.concat([ok(7), packet(101, u32(8), u32(2), str('no such file'), str('')), ok(9)])],
];

const EXPECTED: SftpOperation[] = [
  { op: 'write', path: '/tmp/up.bin', bytes: 40_100, status: 'ok' },
  { op: 'read', path: '/etc/hosts', bytes: 321, status: 'ok' },
  { op: 'remove', path: '/tmp/old', status: 'no such file' },
  { op: 'rename', path: '/tmp/a', target: '/tmp/b', status: 'ok' },
];

/** Feeds the conversation in order, each run cut into chunks at `cuts`. */
function observe(cuts: (length: number) => number[]): SftpOperation[] {
  const operations: SftpOperation[] = [];
  const observer = new SftpObserver((operation) => operations.push(operation));
  for (const [side, bytes] of conversation) {
    const reader = side === 'client' ? observer.fromClient : observer.fromServer;
    let start = 0;
    for (const cut of [...cuts(bytes.length), bytes.length]) {
      reader.feed(bytes.subarray(start, cut));
      start = cut;
    }
  }
  return operations;
}

describe('sftp observer', () => {
  test('reports file and path operations with their bytes and status', () => {
    expect(observe(() => [])).toEqual(EXPECTED);
  });

  test('the same whatever the chunking: every split point of the first kilobyte and around the data', () => {
    const points = [...Array.from({ length: 1024 }, (_, i) => i + 1), 40_050, 40_100, 40_150];
    for (const at of points) expect(observe((length) => (at < length ? [at] : []))).toEqual(EXPECTED);
  });

  test('byte by byte', () => {
    expect(observe((length) => Array.from({ length: length - 1 }, (_, i) => i + 1))).toEqual(EXPECTED);
  });

  test('garbage never throws', () => {
    const observer = new SftpObserver(() => undefined);
    for (let seed = 1; seed < 200; seed++) {
      const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 17) & 0xff));
      expect(() => {
        observer.fromClient.feed(bytes);
        observer.fromServer.feed(bytes);
      }).not.toThrow();
    }
  });

  test('files left open are reported when the channel ends', () => {
    const operations: SftpOperation[] = [];
    const observer = new SftpObserver((operation) => operations.push(operation));
    observer.fromClient.feed(packet(3, u32(1), str('/tmp/x'), u32(2), ATTRS_NONE));
    observer.fromServer.feed(packet(102, u32(1), str(HANDLE_W)));
    observer.fromClient.feed(packet(6, u32(2), str(HANDLE_W), u64(0), str('abc')));
    observer.end();
    expect(operations).toEqual([{ op: 'write', path: '/tmp/x', bytes: 3, status: null }]);
  });
});
