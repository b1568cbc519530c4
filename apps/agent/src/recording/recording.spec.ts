import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID as randomUUIDv4 } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '@postern/logging';
import { chainHash, chainSeed } from '@postern/contracts';
import { SessionRecorder, type RecorderOptions, type RecordingMode } from './session-recorder.js';
import { RecordingSpool, SpoolFullError, type SpooledChunk } from './spool.js';

const SESSION = '8f14e45f-ceea-467f-a0e6-0a1b2c3d4e5f';
const logger = createLogger({ name: 'test', level: 'silent' });
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'postern-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function chunksOf(spool: RecordingSpool) {
  return Promise.all(spool.pending().map(({ sessionId, seq }) => spool.read(sessionId, seq)));
}

/** SESSION's recorder on `spool` (gzip on unless `options` says otherwise). */
function recorderOn(
  spool: RecordingSpool,
  mode: RecordingMode,
  options: Omit<RecorderOptions, 'compression'> & Partial<Pick<RecorderOptions, 'compression'>>,
  onFailure: (error: Error) => void,
  resume?: { nextSeq: number; prevHash: Buffer },
): SessionRecorder {
  return new SessionRecorder(spool, SESSION, mode, { compression: 'gzip', ...options }, logger, onFailure, resume);
}

/** A spool holding two chunks (seq 0 and 1) of SESSION's recording, not final, cut by size. */
async function spoolTwoChunks(): Promise<RecordingSpool> {
  const spool = new RecordingSpool(dir, 10 * 1024 * 1024);
  await spool.init();
  const recorder = recorderOn(spool, 'strict', { chunkBytes: 50, flushMs: 10_000 }, () => {});
  recorder.record('statement', { sql: 'select 1 -- long enough to cut a chunk' });
  recorder.record('statement', { sql: 'select 2 -- long enough to cut a chunk' });
  for (let waited = 0; spool.pending().length < 2 && waited < 5_000; waited += 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return spool;
}

/** Text that gzip cannot shrink much (random base64), to fill a spool whose chunks are compressed. */
function incompressible(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4)).toString('base64');
}

/** A chunk's JSON Lines, decoded as its encoding says. */
function plain(chunk: SpooledChunk): Buffer {
  return chunk.encoding === 'gzip' ? gunzipSync(chunk.data) : chunk.data;
}

function events(chunk: SpooledChunk): { type: string; [key: string]: unknown }[] {
  return plain(chunk)
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string });
}

describe('recording spool and recorder', () => {
  test.each(['gzip', 'none'] as const)(
    'chunks (compression %s) are cut by size, chained from the session seed over their JSON Lines, and the last one is final; gzip only from 16 KiB',
    async (compression) => {
      const spool = new RecordingSpool(dir, 10 * 1024 * 1024);
      await spool.init();
      const recorder = recorderOn(spool, 'strict', { chunkBytes: 20_000, flushMs: 10_000, compression }, () => {
        throw new Error('must not fail');
      });
      const sql = (i: number) => `select ${i} -- ${'padding '.repeat(250)}`;
      for (let i = 0; i < 20; i++) recorder.record('statement', { sql: sql(i) });
      recorder.record('statement', { sql: 'select 20' });
      await recorder.close({ endReason: 'client_closed' });
      const chunks = await chunksOf(spool);
      expect(chunks.length).toBeGreaterThan(2);
      // Two ~20 KB chunks, then a final one of two short events: too small to be worth gzip.
      expect(chunks.map((c) => c.encoding)).toEqual(
        compression === 'gzip' ? ['gzip', 'gzip', 'jsonl'] : ['jsonl', 'jsonl', 'jsonl'],
      );
      let prev = chainSeed(SESSION);
      chunks.forEach((chunk, seq) => {
        expect(chunk.seq).toBe(seq);
        expect(chunk.chainHash.equals(chainHash(prev, seq, chunk.final, plain(chunk)))).toBe(true);
        prev = chunk.chainHash;
      });
      expect(chunks.map((c) => c.final)).toEqual([...Array(chunks.length - 1).fill(false), true]);
      const all = chunks.flatMap((c) => events(c));
      expect(all.filter((e) => e.type === 'statement').map((e) => e['sql'])).toEqual([
        ...Array.from({ length: 20 }, (_, i) => sql(i)),
        'select 20',
      ]);
      expect(all[all.length - 1]).toMatchObject({ type: 'session.end', endReason: 'client_closed' });
    },
  );

  test('a restarted agent finds unacknowledged chunks and acknowledged ones leave the disk', async () => {
    const first = await spoolTwoChunks();
    await first.acknowledge(SESSION, 0);

    const second = new RecordingSpool(dir, 10 * 1024 * 1024);
    const unfinished = await second.init();
    // Chunk 0 was acknowledged but, as the last acknowledged one, kept: it goes again.
    expect(second.pending()).toEqual([
      { sessionId: SESSION, seq: 0 },
      { sessionId: SESSION, seq: 1 },
    ]);
    expect(unfinished).toEqual([expect.objectContaining({ sessionId: SESSION, lastSeq: 1, final: false })]);
    // Closing it as interrupted continues the chain from the last spooled chunk.
    const last = await second.read(SESSION, 1);
    const resumed = recorderOn(second, 'best-effort', { chunkBytes: 50, flushMs: 10 }, () => {}, {
      nextSeq: 2,
      prevHash: last.chainHash,
    });
    await resumed.close({ endReason: 'agent_restarted' });
    const final = await second.read(SESSION, 2);
    expect(final.final).toBe(true);
    expect(final.chainHash.equals(chainHash(last.chainHash, 2, true, plain(final)))).toBe(true);
    for (const seq of [0, 1, 2]) await second.acknowledge(SESSION, seq);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a recording whose every chunk was acknowledged is still found after a crash, and closed from its last hash', async () => {
    const first = await spoolTwoChunks();
    const shipped = await chunksOf(first);
    for (const chunk of shipped) await first.acknowledge(SESSION, chunk.seq);
    // Only the last acknowledged chunk is left: the chain's end, for a crash.
    expect(readdirSync(dir)).toEqual([`${SESSION}.${String(shipped.at(-1)!.seq).padStart(12, '0')}.chunk`]);

    const second = new RecordingSpool(dir, 10 * 1024 * 1024);
    const unfinished = await second.init();
    // Shipped again after the restart: the control plane answers it as committed.
    expect(second.pending()).toEqual([{ sessionId: SESSION, seq: shipped.at(-1)!.seq }]);
    expect(unfinished).toEqual([
      { sessionId: SESSION, lastSeq: shipped.at(-1)!.seq, lastHash: shipped.at(-1)!.chainHash, final: false },
    ]);
    const resumed = recorderOn(second, 'best-effort', { chunkBytes: 50, flushMs: 10 }, () => {}, {
      nextSeq: shipped.at(-1)!.seq + 1,
      prevHash: shipped.at(-1)!.chainHash,
    });
    await resumed.close({ endReason: 'agent_restarted' });
    const [again, final] = await chunksOf(second);
    expect(again!.seq).toBe(shipped.at(-1)!.seq);
    expect(final!.final).toBe(true);
    await second.acknowledge(SESSION, again!.seq);
    await second.acknowledge(SESSION, final!.seq);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("short sessions' final chunks written together share a batch file that survives a restart", async () => {
    const spool = new RecordingSpool(dir, 10 * 1024 * 1024);
    await spool.init();
    // Each a whole recording in one final chunk, chained as the recorder chains it.
    const sessions = Array.from({ length: 4 }, () => randomUUIDv4());
    const chunks = sessions.map((sessionId, i) => {
      const data = Buffer.from(`{"at":1,"type":"session.start"}\n{"at":2,"type":"session.end","n":${i}}\n`);
      return {
        sessionId,
        seq: 0,
        data,
        encoding: 'jsonl' as const,
        chainHash: chainHash(chainSeed(sessionId), 0, true, data),
        final: true,
      };
    });
    // The first goes alone; the three written while it is on its way go together.
    await Promise.all(chunks.map((chunk) => spool.write(chunk)));
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith('.chunks'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.chunk'))).toEqual([`${sessions[0]}.000000000000.chunk`]);

    // The agent dies before any acknowledgement: the next run finds all four, whole.
    const second = new RecordingSpool(dir, 10 * 1024 * 1024);
    const unfinished = await second.init();
    expect(unfinished.map((u) => [u.sessionId, u.lastSeq, u.final]).sort()).toEqual(
      sessions.map((id) => [id, 0, true]).sort(),
    );
    for (const chunk of chunks) {
      const read = await second.read(chunk.sessionId, 0);
      expect(read).toMatchObject({ final: true, encoding: 'jsonl' });
      expect(read.data.equals(chunk.data)).toBe(true);
      expect(read.chainHash.equals(chunk.chainHash)).toBe(true);
    }
    expect(second.usedBytes).toBe(spool.usedBytes);
    // The batch file goes once every chunk in it is acknowledged, not before.
    for (const sessionId of sessions.slice(0, 3)) await second.acknowledge(sessionId, 0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.chunks'))).toHaveLength(1);
    await second.acknowledge(sessions[3]!, 0);
    expect(readdirSync(dir)).toEqual([]);
    expect(second.pendingChunks).toBe(0);
  });

  test('a chunk or batch whose write a crash interrupted (never renamed) is removed at start, not shipped', async () => {
    writeFileSync(join(dir, `${SESSION}.000000000000.chunk.tmp`), 'PRC1 torn');
    writeFileSync(join(dir, 'batch-1765000000000-0badc0de-1.chunks.tmp'), 'torn');
    const spool = new RecordingSpool(dir, 10 * 1024 * 1024);
    expect(await spool.init()).toEqual([]);
    expect(spool.pending()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('strict: a spool that cannot take a chunk ends the session', async () => {
    const spool = new RecordingSpool(dir, 1024 * 1024);
    await spool.init();
    const failures: Error[] = [];
    const recorder = recorderOn(spool, 'strict', { chunkBytes: 1024, flushMs: 10_000 }, (e) => failures.push(e));
    recorder.record('statement', { blob: incompressible(2 * 1024 * 1024) });
    // Compressing 2.7 MB of random text first takes a while on a loaded machine.
    for (let waited = 0; failures.length === 0 && waited < 10_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(SpoolFullError);
  });

  test('best-effort: a dropped chunk is marked by a gap event and the final event says truncated', async () => {
    const spool = new RecordingSpool(dir, 1024 * 1024);
    await spool.init();
    const recorder = recorderOn(spool, 'best-effort', { chunkBytes: 1024, flushMs: 10_000 }, () => {
      throw new Error('best-effort never ends the session');
    });
    recorder.record('statement', { blob: incompressible(2 * 1024 * 1024) });
    recorder.record('statement', { sql: 'select 1', pad: 'y'.repeat(1024) });
    await recorder.close({ endReason: 'client_closed' });
    const all = (await chunksOf(spool)).flatMap((c) => events(c));
    expect(all[0]).toMatchObject({ type: 'recording.gap', droppedEvents: 1 });
    expect(all.some((e) => e['sql'] === 'select 1')).toBe(true);
    expect(all[all.length - 1]).toMatchObject({ type: 'session.end', truncated: true, droppedEvents: 1 });
  });
});
