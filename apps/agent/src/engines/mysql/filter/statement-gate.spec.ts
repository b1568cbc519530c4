import { beforeAll, describe, expect, test } from '@jest/globals';
import type { ApprovalOutcome, PolicyAuditEvent } from '../../engine.js';
import { initSqlParser } from '@postern/policy-mysql';
import { strictMock } from '@postern/testing';
import { compileMysqlPolicy, type MysqlContext } from '../rules.js';
import { Activity } from './activity.js';
import { StatementGate, type GateVerdict } from './statement-gate.js';

const KEY = Buffer.alloc(32, 7);

function gate(decide?: ApprovalOutcome) {
  const audits: PolicyAuditEvent[] = [];
  const rules = compileMysqlPolicy(
    {
      guardrails: [
        { id: 'g', name: 'no drops', connectionIds: [], groups: [], match: { statementKinds: ['DROP TABLE'] } },
      ],
      approvals: [
        {
          id: 'a',
          name: 'updates',
          connectionIds: [],
          groups: [],
          approverGroups: ['dba'],
          requiredApprovals: 1,
          timeoutSeconds: 5,
          match: { statementKinds: ['UPDATE'] },
        },
      ],
      masking: [],
    },
    KEY,
  );
  const context = strictMock<MysqlContext>({
    policy: () => ({ version: '3', ...rules.forSession('c', []) }),
    audit: (event) => void audits.push(event),
    requestApproval: () => ({
      reviewId: 'review-1',
      outcome: Promise.resolve(decide ?? { outcome: 'cancelled', decidedBy: '', comment: '' }),
    }),
  });
  const statements = new StatementGate(context, new Activity(context), { database: 'app_db', connectionName: 'app' });
  return { statements, audits };
}

beforeAll(() => initSqlParser());

describe('StatementGate', () => {
  test('allowed statements go on; blocked ones are refused with ERR 1142 naming the rule', () => {
    const { statements, audits } = gate();
    expect(statements.check('SELECT 1')).toEqual({ action: 'admit' });
    expect(statements.check('/*!50000 DROP TABLE t */')).toMatchObject({
      action: 'refuse',
      error: { errno: 1142 },
      message: expect.stringContaining('no drops'),
    });
    expect(audits).toEqual([expect.objectContaining({ kind: 'statement.blocked', ruleId: 'g', policyVersion: '3' })]);
    expect(statements.tally).toEqual({ allowed: 1, refused: new Map([['g', 1]]) });
  });

  test('USE stays within the connection: its database or its name, nothing else', () => {
    const { statements } = gate();
    expect(statements.check('USE app_db')).toEqual({ action: 'admit' });
    expect(statements.check('USE `app`')).toEqual({ action: 'admit' });
    expect(statements.check('SELECT 1; USE mysql')).toMatchObject({ action: 'refuse', error: { errno: 1044 } });
    // A table named like the keyword is not a switch.
    expect(statements.check('SELECT * FROM users')).toEqual({ action: 'admit' });
  });

  test.each<[ApprovalOutcome, GateVerdict['action'], string]>([
    [{ outcome: 'approved', decidedBy: 'bob', comment: '' }, 'admit', 'statement.approved'],
    [{ outcome: 'rejected', decidedBy: 'bob', comment: 'no' }, 'refuse', 'statement.rejected'],
    [{ outcome: 'expired', decidedBy: '', comment: '' }, 'refuse', 'statement.expired'],
    [{ outcome: 'cancelled', decidedBy: '', comment: '' }, 'drop', 'statement.held'],
  ])('a held statement settles with the decision (%o)', async (outcome, action, lastAudit) => {
    const { statements, audits } = gate(outcome);
    const verdict = statements.check('UPDATE t SET a = 1 WHERE id = 2');
    expect(verdict).toBeInstanceOf(Promise);
    expect(await verdict).toMatchObject({ action });
    expect(audits[0]).toMatchObject({
      kind: 'statement.held',
      details: expect.objectContaining({ reviewId: 'review-1' }),
    });
    expect(audits.at(-1)?.kind).toBe(lastAudit);
  });
});
