import { describe, expect, test } from '@jest/globals';
import type { RuleRecord } from '../rules/rule.types.js';
import { EXAMPLES_PER_RULE, SimulationTally, ruleId } from './simulation-tally.js';
import type { SimulatedSession } from './simulation.types.js';

const CONNECTION = '0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5d';
const OTHER = '0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5e';

function rule(kind: RuleRecord['kind'], name: string, fields: Partial<RuleRecord> = {}): RuleRecord {
  return { kind, name, connectionIds: [], groups: [], action: 'block', spec: {}, enabled: true, ...fields };
}

function session(id: string, connectionId = CONNECTION): SimulatedSession {
  return { id, connectionId, principalId: 'u', principalName: 'Ann', startedAt: new Date(0), purged: false };
}

const at = new Date(5000);
const block = (index: number) =>
  ({ action: 'block', rule: { id: ruleId('guardrail', index), name: 'g' }, reason: 'DROP TABLE on t' }) as const;
const hold = (index: number) =>
  ({
    action: 'hold',
    rule: {
      id: ruleId('approval', index),
      name: 'a',
      connectionIds: [],
      groups: [],
      match: {},
      approverGroups: [],
      requiredApprovals: 1,
      timeoutSeconds: 60,
    },
    reason: 'UPDATE on refunds',
  }) as const;

describe('SimulationTally', () => {
  test('totals, recorded against simulated, and per-rule counts with a bounded number of examples', () => {
    const tally = new SimulationTally([rule('guardrail', 'no drops')], [rule('approval', 'refunds')], []);
    tally.session(session('s1'), []);
    tally.statement('s1', { at, sql: 'DROP TABLE t', recorded: 'allowed' }, block(0), []);
    tally.statement('s1', { at, sql: 'DROP TABLE u', recorded: 'blocked' }, block(0), []);
    tally.statement('s1', { at, sql: 'UPDATE refunds SET x = 1', recorded: 'allowed' }, hold(0), []);
    tally.statement('s1', { at, sql: 'DELETE FROM t', recorded: 'blocked' }, { action: 'allow' }, []);
    tally.statement(
      's1',
      { at, sql: 'SELEC', recorded: 'allowed' },
      { action: 'invalid', message: 'x', position: 0 },
      [],
    );
    for (let i = 0; i < 10; i += 1) {
      tally.statement(`s${i + 2}`, { at, sql: `DROP TABLE x${i}`, recorded: 'allowed' }, block(0), []);
    }
    expect(tally.totals).toEqual({ allowed: 1, blocked: 12, held: 1, invalid: 1 });
    expect(tally.changes).toEqual({
      recordedBlocked: 2,
      recordedHeld: 0,
      newlyBlocked: 11,
      newlyHeld: 1,
      newlyAllowed: 1,
    });
    expect(tally.guardrails[0]).toMatchObject({ name: 'no drops', statements: 12, sessions: 11 });
    expect(tally.guardrails[0]!.examples).toHaveLength(EXAMPLES_PER_RULE);
    expect(tally.guardrails[0]!.examples[0]).toEqual({
      sessionId: 's1',
      at,
      sql: 'DROP TABLE t',
      reason: 'DROP TABLE on t',
      recorded: 'allowed',
    });
    expect(tally.approvalRules[0]).toMatchObject({
      statements: 1,
      sessions: 1,
      examples: [{ sql: 'UPDATE refunds SET x = 1' }],
    });
  });

  test('a masking rule applies on its connections to principals outside its exempt groups', () => {
    const masking = [
      rule('masking', 'everywhere'),
      rule('masking', 'other connection', { connectionIds: [OTHER] }),
      rule('masking', 'dba exempt', { groups: ['dba'] }),
      rule('masking', 'disabled', { enabled: false }),
    ];
    const tally = new SimulationTally([], [], masking);
    const inScope = tally.session(session('s1'), ['dba']);
    expect(inScope).toEqual([0]);
    tally.statement('s1', { at, sql: 'SELECT 1', recorded: 'allowed' }, { action: 'allow' }, inScope);
    expect(tally.session(session('s2', OTHER), ['engineers'])).toEqual([0, 1, 2]);
    expect(tally.maskingRules.map((r) => [r.name, r.sessions, r.statements])).toEqual([
      ['everywhere', 2, 1],
      ['other connection', 1, 0],
      ['dba exempt', 1, 0],
      ['disabled', 0, 0],
    ]);
    expect(tally.maskingRules[0]!.examples).toEqual([
      { sessionId: 's1', connectionId: CONNECTION, principal: 'Ann' },
      { sessionId: 's2', connectionId: OTHER, principal: 'Ann' },
    ]);
  });
});
