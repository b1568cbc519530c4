import { describe, expect, test } from '@jest/globals';
import { chainHash, chainSeed } from '@postern/contracts';
import { strictMock } from '@postern/testing';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { RecordingReplayService } from './recording-replay.service.js';
import type { RecordingVerifier } from './recording-verifier.js';
import type { RecordingsRepository } from './recordings.repository.js';
import type { RecordingSession, StoredChunk } from './recording.types.js';

const SESSION = '5a2b3c4d-1e2f-4a5b-8c6d-7e8f9a0b1c2d';
const OWNER = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

function session(overrides: Partial<RecordingSession> = {}): RecordingSession {
  return {
    id: SESSION,
    agentId: 'agent',
    connectionId: 'connection',
    principalId: OWNER,
    endedAt: null,
    chunks: 2,
    bytes: 0n,
    completedAt: new Date(),
    truncated: false,
    purgedAt: null,
    ...overrides,
  };
}

function chunks(): StoredChunk[] {
  const lines = [['{"at":1,"type":"session.start"}', '{"at":2,"type":"statement"}'], ['{"at":3,"type":"session.end"}']];
  let prev = chainSeed(SESSION);
  return lines.map((events, seq) => {
    const data = Buffer.from(events.join('\n'));
    prev = chainHash(prev, seq, seq === 1, data);
    return { seq, data, chainHash: prev, final: seq === 1 };
  });
}

function service(stored = session()) {
  const audited: string[] = [];
  const repository = strictMock<RecordingsRepository>({
    findSession: async (id) => (id === SESSION ? stored : null),
    principalIdsOf: async (actor) => (actor.id === 'owner-user' ? ['owner-user', OWNER] : [actor.id]),
    sizesAfter: async (_id, after) =>
      chunks()
        .filter((c) => c.seq > after)
        .map((c) => ({ seq: c.seq, size: c.data.length })),
    chunks: async (_id, seqs) => chunks().filter((c) => seqs.includes(c.seq)),
  });
  const audit = strictMock<AuditService>({
    record: async (entry) => {
      audited.push(`${entry.kind}:${entry.actorKind}`);
    },
  });
  return { replay: new RecordingReplayService(repository, strictMock<RecordingVerifier>({}), audit), audited };
}

const actor = (id: string, ...roles: Actor['roles']): Actor => ({
  id,
  kind: 'user',
  roles: ['user', ...roles],
  groups: [],
});

describe('RecordingReplayService', () => {
  test.each([
    ['an admin', actor('a', 'admin')],
    ['an auditor', actor('b', 'auditor')],
    ['the session’s own user', actor('owner-user')],
  ])('%s reads the recording, in order, and the first page is audited', async (_who, reader) => {
    const { replay, audited } = service();
    const page = await replay.page(reader, SESSION);
    expect(page.events.map((e) => [e.seq, e.index, e.type])).toEqual([
      [0, 0, 'session.start'],
      [0, 1, 'statement'],
      [1, 0, 'session.end'],
    ]);
    expect(page).toMatchObject({ nextSeq: null, complete: true });
    expect(audited).toEqual(['recording.viewed:user']);
  });

  test.each([
    ['another plain user', actor('someone')],
    ['an approver who is not an auditor', actor('approver', 'approver')],
  ])('%s is told the session does not exist', async (_who, reader) => {
    const { replay, audited } = service();
    await expect(replay.page(reader, SESSION)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(replay.verify(reader, SESSION)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(audited).toEqual([]);
  });

  test('an incomplete recording points at the next chunk; bad arguments are refused', async () => {
    const { replay } = service(session({ completedAt: null }));
    const page = await replay.page(actor('a', 'admin'), SESSION, 0);
    expect(page.events.map((e) => e.seq)).toEqual([1]);
    expect(page.nextSeq).toBe(2);
    expect((await replay.page(actor('a', 'admin'), SESSION, 1)).nextSeq).toBe(2);
    await expect(replay.page(actor('a', 'admin'), SESSION, -2)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(replay.page(actor('a', 'admin'), 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
