import { describe, expect, test } from '@jest/globals';
import type { Logger } from '@postern/logging';
import type { AuditService } from '../audit/audit.service.js';
import type { ControlPlaneConfig } from '../platform/config/config.js';
import { UnauthenticatedCalls } from './unauthenticated-calls.js';

interface Recorded {
  kind: string;
  details: Record<string, unknown>;
}

function calls() {
  const recorded: Recorded[] = [];
  const audit = { record: (entry: Recorded) => void recorded.push(entry) } as unknown as AuditService;
  const config = {
    grpc: { refusals: { burst: 1, perMinute: 0, auditWindowMs: 60_000 } },
  } as unknown as ControlPlaneConfig;
  const logger = { warn: () => undefined } as unknown as Logger;
  return { calls: new UnauthenticatedCalls(audit, config, logger), recorded };
}

describe('UnauthenticatedCalls', () => {
  test('a refusal audits the first call of a window alone and sums the rest into one row', async () => {
    const { calls: subject, recorded } = calls();
    await subject.refused('ipv4:10.0.0.9:4000', { method: 'Enroll', reason: 'malformed token', agentId: null });
    expect(subject.admit('ipv4:10.0.0.9:4001', 'Enroll')).toBe(false);
    expect(subject.admit('ipv4:10.0.0.9:4002', 'Enroll')).toBe(false);
    await subject.onModuleDestroy(); // ends the window
    expect(recorded.map((r) => [r.kind, r.details['count'] ?? r.details['reason']])).toEqual([
      ['agent.enrollment_refused', 'malformed token'],
      ['agent.refusals_aggregated', 2],
    ]);
  });

  test('a call turned away that opens a window is counted in its summary, not lost', async () => {
    const { calls: subject, recorded } = calls();
    await subject.refused('ipv4:10.0.0.9:4000', { method: 'Connect', reason: 'unknown credential', agentId: null });
    await subject.onModuleDestroy(); // that window ends with nothing after its first call
    expect(subject.admit('ipv4:10.0.0.9:4001', 'Connect')).toBe(false); // opens the next window
    await subject.onModuleDestroy();
    expect(recorded.at(-1)).toMatchObject({
      kind: 'agent.refusals_aggregated',
      details: { peer: '10.0.0.9', count: 1, byReason: 'Connect: rate limited=1' },
    });
    expect(recorded).toHaveLength(2);
  });
});
