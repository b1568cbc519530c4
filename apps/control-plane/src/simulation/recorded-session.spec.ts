import { describe, expect, test } from '@jest/globals';
import { parseEventLines } from '../recordings/recording-chain.js';
import { RecordedSession, type RecordedStatement } from './recorded-session.js';

function replay(events: Record<string, unknown>[]): { session: RecordedSession; statements: RecordedStatement[] } {
  const data = Buffer.from(events.map((e, i) => JSON.stringify({ at: 1000 + i, ...e })).join('\n'));
  const session = new RecordedSession();
  const statements = parseEventLines(data).flatMap((line) => session.read(line) ?? []);
  return { session, statements };
}

describe('RecordedSession', () => {
  test('reads the principal groups and each statement with what the policy then in force did', () => {
    const { session, statements } = replay([
      { type: 'session.start', principal: { id: 'u1', displayName: 'Ann', groups: ['engineers', 7] } },
      { type: 'statement', sql: 'SELECT 1', rows: 1 },
      { type: 'decision', kind: 'statement.blocked', decision: 'blocked', ruleId: 'r1', sql: 'DROP TABLE t' },
      { type: 'statement', sql: 'DROP TABLE t', error: 'Postern rule …' },
      { type: 'decision', kind: 'statement.held', decision: 'held', sql: 'DELETE FROM t WHERE id = 1', reviewId: 'a' },
      { type: 'decision', kind: 'statement.approved', decision: 'approved', reviewId: 'a' },
      { type: 'statement', sql: 'DELETE FROM t WHERE id = 1' },
      { type: 'decision', kind: 'statement.held', decision: 'held', sql: 'UPDATE t SET x = 1', reviewId: 'b' },
      { type: 'decision', kind: 'statement.expired', decision: 'expired', reviewId: 'b' },
      { type: 'statement', sql: 'UPDATE t SET x = 1' },
      { type: 'statement', sql: 'DROP TABLE t' },
      { type: 'statement', params: ['x'] },
    ]);
    expect(session.groups).toEqual(['engineers']);
    expect(statements.map((s) => [s.sql, s.recorded])).toEqual([
      ['SELECT 1', 'allowed'],
      ['DROP TABLE t', 'blocked'],
      ['DELETE FROM t WHERE id = 1', 'held'],
      ['UPDATE t SET x = 1', 'blocked'],
      // A decision is used once: the same SQL sent again later was not refused.
      ['DROP TABLE t', 'allowed'],
    ]);
    expect(statements[0]!.at).toEqual(new Date(1001));
  });

  test('without session.start the groups are unknown', () => {
    expect(replay([{ type: 'statement', sql: 'SELECT 1' }]).session.groups).toBeNull();
  });
});
