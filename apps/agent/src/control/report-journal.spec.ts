import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { AgentMessage } from '@postern/proto';
import { ReportJournal } from './report-journal.js';

const closed = (sessionId: string): AgentMessage => ({ sessionClosed: { sessionId, endReason: 'client_closed' } });
const ids = (journal: ReportJournal) => journal.pending().map((entry) => entry.message.sessionClosed?.sessionId);

let dir: string;
const errors: Error[] = [];
const open = async (maxBytes = 1024 * 1024) => {
  const journal = new ReportJournal(dir, maxBytes, (error) => errors.push(error));
  await journal.init();
  return journal;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postern-journal-'));
  errors.length = 0;
});
afterEach(async () => {
  expect(errors).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

describe('ReportJournal', () => {
  test('reports not acknowledged survive a restart, in order, with their sequence numbers', async () => {
    const first = await open();
    expect(first.append(closed('a')).seq).toBe(1);
    expect(first.append(closed('b')).seq).toBe(2);
    first.append(closed('c'));
    first.ack(1);
    await first.close();

    const second = await open();
    expect(ids(second)).toEqual(['b', 'c']);
    expect(second.pending().map((entry) => entry.seq)).toEqual([2, 3]);
    // New reports continue the numbering: an ack from before the restart never covers them.
    expect(second.append(closed('d')).seq).toBe(4);
    await second.close();
  });

  test('sessions opened and not closed among the unacknowledged reports are named', async () => {
    const journal = await open();
    journal.append({ sessionOpened: { sessionId: 'a' } });
    journal.append({ sessionOpened: { sessionId: 'b' } });
    journal.append(closed('a'));
    expect(journal.unclosedSessions()).toEqual(['b']);
    await journal.close();
  });

  test("a session's opening counts as stored once acknowledged (or dropped), not before", async () => {
    const journal = await open();
    const opened = journal.append({ sessionOpened: { sessionId: 'a' } });
    expect(journal.openingStored('a')).toBe(false);
    expect(journal.openingStored('never-seen')).toBe(true);
    journal.ack(opened.seq);
    expect(journal.openingStored('a')).toBe(true);
    await journal.close();
  });

  test('acknowledgements alone are written later and replayed like any other', async () => {
    const journal = await open();
    const entry = journal.append(closed('a'));
    await journal.flush();
    journal.ack(entry.seq);
    await journal.close();
    expect((await open()).pending()).toEqual([]);
  });

  test('a large backlog acknowledged one report at a time stays consistent (acks do not shift the array)', async () => {
    const journal = await open(64 * 1024 * 1024);
    const seqs = Array.from({ length: 5_000 }, (_, i) => journal.append(closed(`s${i}`)).seq);
    for (const [i, seq] of seqs.entries()) {
      journal.ack(seq);
      if (i % 1_000 === 999) expect(journal.pending()[0]?.seq).toBe(seqs[i + 1]);
    }
    expect(journal.pending()).toEqual([]);
    journal.append(closed('after'));
    await journal.close();
    expect(ids(await open())).toEqual(['after']);
  });

  test('an acknowledgement covers every report up to its sequence number', async () => {
    const journal = await open();
    for (const id of ['a', 'b', 'c', 'd']) journal.append(closed(id));
    journal.ack(3);
    expect(ids(journal)).toEqual(['d']);
    journal.ack(2); // late, already covered
    expect(ids(journal)).toEqual(['d']);
    journal.ack(4);
    expect(journal.pending()).toEqual([]);
    await journal.close();
    expect((await open()).pending()).toEqual([]);
  });

  test('writes reach the disk without waiting for close (a killed agent keeps them)', async () => {
    const journal = await open();
    journal.append(closed('a'));
    await journal.flush();
    const copy = await mkdtemp(join(tmpdir(), 'postern-journal-copy-'));
    await appendFile(join(copy, 'reports.journal'), await readFile(journal.path));
    const reopened = new ReportJournal(copy, 1024 * 1024, (error) => errors.push(error));
    await reopened.init();
    expect(ids(reopened)).toEqual(['a']);
    await reopened.close();
    await journal.close();
    await rm(copy, { recursive: true, force: true });
  });

  test('reports of many ticks queued behind a write in flight all reach the disk, in order', async () => {
    const journal = await open();
    // Each append in a tick of its own, while the first write (and its fdatasync) is under way.
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      journal.append(closed(id));
      await new Promise((resolve) => setImmediate(resolve));
    }
    journal.ack(1);
    await journal.flush();
    const copy = await mkdtemp(join(tmpdir(), 'postern-journal-copy-'));
    await appendFile(join(copy, 'reports.journal'), await readFile(journal.path));
    const reopened = new ReportJournal(copy, 1024 * 1024, (error) => errors.push(error));
    await reopened.init();
    expect(ids(reopened)).toEqual(['b', 'c', 'd', 'e']);
    await reopened.close();
    await journal.close();
    await rm(copy, { recursive: true, force: true });
  });

  test('a line torn by a crash mid-write is dropped, the rest is kept', async () => {
    const journal = await open();
    journal.append(closed('a'));
    await journal.close();
    await appendFile(join(dir, 'reports.journal'), '{"s":2,"m":{"sessionClo');
    const reopened = await open();
    expect(ids(reopened)).toEqual(['a']);
    expect(reopened.append(closed('b')).seq).toBe(2);
    await reopened.close();
  });

  test('an entry written twice (compaction racing an append) is replayed once', async () => {
    await appendFile(
      join(dir, 'reports.journal'),
      `${JSON.stringify({ s: 5, m: closed('x') })}\n${JSON.stringify({ s: 5, m: closed('x') })}\n`,
    );
    const journal = await open();
    expect(ids(journal)).toEqual(['x']);
    await journal.close();
  });

  test('bounded: beyond the limit the oldest unacknowledged reports are dropped and counted', async () => {
    const journal = await open(64 * 1024);
    for (let i = 0; i < 2_000; i += 1) journal.append(closed(`session-${i}`));
    expect(journal.dropped).toBeGreaterThan(0);
    expect(journal.pending().length).toBe(2_000 - journal.dropped);
    expect(ids(journal).at(-1)).toBe('session-1999');
    await journal.close();
  });

  test('the file is compacted once acknowledged reports dominate it', async () => {
    const journal = await open(64 * 1024 * 1024);
    const big = 'x'.repeat(2_000);
    for (let i = 0; i < 3_000; i += 1) {
      const entry = journal.append({ sessionClosed: { sessionId: `s${i}`, endReason: big } });
      journal.ack(entry.seq);
      if (i % 200 === 0) await journal.flush();
    }
    journal.append(closed('last'));
    await journal.close();
    const size = (await readFile(journal.path)).length;
    expect(size).toBeLessThan(4 * 1024 * 1024);
    expect(ids(await open())).toEqual(['last']);
  });
});
