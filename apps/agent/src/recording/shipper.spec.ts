import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { createLogger } from '@postern/logging';
import type { RecordingAck__Output, RecordingChunk } from '@postern/proto';
import { chainHash, chainSeed } from '@postern/contracts';
import { RecordingShipper } from './shipper.js';
import { RecordingSpool } from './spool.js';

const A = '8f14e45f-ceea-467f-a0e6-0a1b2c3d4e5f';
const B = '9f14e45f-ceea-467f-a0e6-0a1b2c3d4e5f';
const logger = createLogger({ name: 'test', level: 'silent' });

/** A Recording stream standing in for the control plane: records what is written, acks on demand. */
class FakeStream extends EventEmitter {
  readonly written: RecordingChunk[] = [];
  write(chunk: RecordingChunk): boolean {
    this.written.push(chunk);
    return true;
  }
  end(): void {}
  ack(chunk: RecordingChunk, committed: boolean): void {
    this.emit('data', {
      sessionId: chunk.sessionId,
      seq: chunk.seq,
      committed,
      error: committed ? '' : 'unknown session',
    });
  }
}

let dir: string;
let spool: RecordingSpool;
let stream: FakeStream;
const opened: number[] = [];

async function spoolChunk(sessionId: string, seq: number): Promise<void> {
  const data = Buffer.from(`{"type":"statement","seq":${seq}}\n`);
  await spool.write({
    sessionId,
    seq,
    data,
    chainHash: chainHash(chainSeed(sessionId), seq, false, data),
    final: false,
  });
}

/** Waits until `count` chunks were written (the spool's file writes are real I/O). */
async function written(count: number): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  while (stream.written.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return stream.written.map((c) => `${c.sessionId === A ? 'A' : 'B'}${c.seq}`);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-shipper-'));
  spool = new RecordingSpool(dir, 10 * 1024 * 1024);
  await spool.init();
  stream = new FakeStream();
  opened.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function shipper(known: (sessionId: string) => boolean, retryMs = 30) {
  return new RecordingShipper(
    spool,
    () => {
      opened.push(Date.now());
      return stream as unknown as ClientDuplexStream<RecordingChunk, RecordingAck__Output>;
    },
    () => true,
    logger,
    { window: 32, retryMs, maxRetryMs: 120 },
    known,
  );
}

describe('RecordingShipper', () => {
  test("a session's chunks wait until the control plane stored its opening, then go in order", async () => {
    const stored = new Set<string>([B]);
    const ship = shipper((id) => stored.has(id));
    await spoolChunk(A, 0);
    await spoolChunk(B, 0);
    await spoolChunk(A, 1);
    // A0 was spooled before B0: had it not waited, it would have gone first.
    expect(await written(1)).toEqual(['B0']);
    stored.add(A);
    ship.nudge();
    expect(await written(3)).toEqual(['B0', 'A0', 'A1']);
    ship.stop();
  });

  test('a chunk the control plane keeps refusing is retried with doubling pauses, capped', async () => {
    await spoolChunk(A, 0);
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const ship = shipper(() => true, 30);
      const flush = async () => {
        for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
      };
      ship.nudge();
      await flush();
      expect(stream.written).toHaveLength(1);
      // Refused each time: the next try comes after 30, 60, 120, then 120 ms again (the cap).
      for (const pause of [30, 60, 120, 120]) {
        stream.ack(stream.written.shift()!, false);
        await flush();
        jest.advanceTimersByTime(pause - 1);
        await flush();
        expect(stream.written).toHaveLength(0);
        jest.advanceTimersByTime(1);
        await flush();
        expect(stream.written).toHaveLength(1);
      }
      ship.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
