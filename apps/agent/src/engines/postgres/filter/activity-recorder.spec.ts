import { describe, expect, test } from '@jest/globals';
import type { PolicyAuditEvent } from '../../engine.js';
import { ActivityRecorder } from './activity-recorder.js';
import { RequestMatcher } from './request-matcher.js';
import type { PostgresContext } from '../rules.js';

function fakeContext(maskText: (text: string) => string = (t) => t) {
  const recorded: { type: string; event: unknown }[] = [];
  const audited: PolicyAuditEvent[] = [];
  const context = {
    policy: () => ({ version: '7', statements: { empty: true }, masker: { maskText } }),
    record: (type: string, event: unknown) => recorded.push({ type, event }),
    audit: (event: PolicyAuditEvent) => audited.push(event),
  } as unknown as PostgresContext;
  return { context, recorded, audited };
}

describe('ActivityRecorder', () => {
  test('records an Execute with its statement, masked parameters and outcome', () => {
    const { context, recorded } = fakeContext((t) => t.replace(/[a-z]@[a-z].[a-z]/g, '***'));
    const requests = new RequestMatcher();
    const activity = new ActivityRecorder(context, requests);
    requests.parse('s1', "select * from users where email = 'a@b.c'");
    requests.bind({ portal: '', statement: 's1', resultFormats: [], params: ['x@y.z'] });
    const { execute } = requests.execute('', false);
    execute.rows = 3;
    requests.completed('SELECT 3');
    activity.record(execute);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.type).toBe('statement');
    expect(recorded[0]!.event).toMatchObject({
      protocol: 'extended',
      sql: "select * from users where email = '***'",
      rows: 3,
      tags: ['SELECT 3'],
      statement: 's1',
      params: ['***'],
    });
  });

  test('statements never answered are recorded at the session end, with why', () => {
    const { context, recorded } = fakeContext();
    const requests = new RequestMatcher();
    const activity = new ActivityRecorder(context, requests);
    requests.query('select pg_sleep(60)');
    activity.sessionEnded('target_closed');
    expect(recorded[0]!.event).toMatchObject({
      protocol: 'simple',
      error: { code: 'unanswered', message: 'the session ended (target_closed) before the server answered' },
    });
  });

  test('audit events carry the policy version and bounded, masked SQL', () => {
    const { context, audited } = fakeContext();
    const activity = new ActivityRecorder(context, new RequestMatcher());
    activity.blocked('x'.repeat(5000), 'why');
    expect(audited[0]).toMatchObject({ kind: 'statement.blocked', decision: 'blocked', policyVersion: '7' });
    expect((audited[0]!.details['sql'] as string).length).toBe(4097);
  });
});
