import { describe, expect, test } from '@jest/globals';
import type { AuditEvent__Output } from '@postern/proto';
import { validateAgentEvent } from './agent-audit-event.js';

const NOW = Date.UTC(2026, 5, 1);

function event(overrides: Partial<AuditEvent__Output> = {}): AuditEvent__Output {
  return {
    eventId: '6f1c1d4e-8a43-4a1b-9d0e-3c1f2b4a5d6e',
    sessionId: '0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5d',
    at: { unixMs: String(NOW - 1000) },
    kind: 'statement.blocked',
    decision: 'blocked',
    ruleId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    policyVersion: '42',
    detailsJson: '{"statement":"DROP TABLE t"}',
    ...overrides,
  };
}

describe('validateAgentEvent', () => {
  test('turns a well-formed event into a row', () => {
    expect(validateAgentEvent(event(), NOW)).toEqual({
      id: '6f1c1d4e-8a43-4a1b-9d0e-3c1f2b4a5d6e',
      sessionId: '0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5d',
      at: new Date(NOW - 1000),
      kind: 'statement.blocked',
      decision: 'blocked',
      ruleId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      policyVersion: 42n,
      details: { statement: 'DROP TABLE t' },
    });
    expect(validateAgentEvent(event({ sessionId: '', decision: '', ruleId: '', detailsJson: '' }), NOW)).toMatchObject({
      sessionId: null,
      decision: null,
      ruleId: null,
      details: {},
    });
  });

  test.each([
    [{ eventId: 'x' }, /event_id/],
    [{ sessionId: 'nope' }, /session_id/],
    [{ kind: 'Statement.Blocked' }, /kind/],
    [{ kind: 's' }, /kind/],
    [{ kind: `a${'b'.repeat(64)}` }, /kind/],
    [{ kind: 'session.opened' }, /not one an agent reports/],
    [{ kind: 'review.approved' }, /not one an agent reports/],
    [{ kind: 'statement.allowed' }, /not one an agent reports/],
    [{ decision: 'DROP TABLE' }, /decision/],
    [{ ruleId: 'a b' }, /rule_id/],
    [{ at: null }, /at is/],
    [{ at: { unixMs: String(NOW + 30 * 86_400_000) } }, /at is/],
    [{ detailsJson: '[1]' }, /JSON object/],
    [{ detailsJson: 'null' }, /JSON object/],
    [{ detailsJson: '{"a":' }, /valid JSON/],
    [{ detailsJson: '{"a":"\\u0000"}' }, /NUL/],
    [{ detailsJson: JSON.stringify({ a: 'x'.repeat(16 * 1024) }) }, /16 KiB/],
  ])('refuses event %# (%s)', (overrides, reason) => {
    const result = validateAgentEvent(event(overrides as Partial<AuditEvent__Output>), NOW);
    expect(result).toEqual({ refused: expect.stringMatching(reason) });
  });
});
