import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { RECORDING_CHAIN_VECTOR as vector } from '@postern/contracts';
import { createLogger } from '@postern/logging';
import { SessionRecorder } from './session-recorder.js';
import type { RecordingSpool, SpooledChunk } from './spool.js';

/**
 * The agent's side of the recording chain contract: the recorder, cutting the pinned events into
 * the pinned chunks, produces the pinned chain hashes byte for byte — the ones the control plane's
 * ingest and verification accept (their spec checks the same vector).
 */
const logger = createLogger({ name: 'test', level: 'silent' });

afterEach(() => jest.useRealTimers());

async function recordVector(sessionId: string): Promise<SpooledChunk[]> {
  const written: SpooledChunk[] = [];
  const spool = { write: async (chunk: SpooledChunk) => void written.push(chunk) } as unknown as RecordingSpool;
  // A one-byte chunk size cuts a chunk at every event; the end event makes the final chunk.
  const recorder = new SessionRecorder(
    spool,
    sessionId,
    'strict',
    { chunkBytes: 1, flushMs: 60_000, compression: 'none' },
    logger,
    (error) => {
      throw error;
    },
  );
  jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  recorder.record('session.start');
  jest.setSystemTime(1_700_000_000_500);
  await recorder.close();
  return written;
}

describe('recording chain contract (@postern/contracts)', () => {
  test('the recorder writes the pinned chunks with the pinned chain hashes', async () => {
    const chunks = await recordVector(vector.sessionId);
    expect(
      chunks.map((c) => ({
        seq: c.seq,
        final: c.final,
        data: c.data.toString('utf8'),
        chainHashHex: c.chainHash.toString('hex'),
      })),
    ).toEqual(vector.chunks);
  });

  test('a session id in capitals gives the same chain (the canonical id is lowercase)', async () => {
    const chunks = await recordVector(vector.sessionIdUppercase);
    expect(chunks.map((c) => c.chainHash.toString('hex'))).toEqual(vector.chunks.map((c) => c.chainHashHex));
  });
});
