import { describe, expect, test } from '@jest/globals';
import { replicaAgentName } from './agents.service.js';

describe('replicaAgentName: the agent a replica becomes when it joins a group', () => {
  test('group and pod name, in agent-name characters', () => {
    expect(replicaAgentName('edge', 'edge-postern-agent-0')).toBe('edge-edge-postern-agent-0');
    expect(replicaAgentName('eu_west', 'Agent_1.pods.svc')).toBe('eu-west-agent-1');
  });

  test('long names keep a hash of the host, so two long hosts stay apart and the name stays valid', () => {
    const a = replicaAgentName('g', `${'x'.repeat(70)}-0`)!;
    const b = replicaAgentName('g', `${'x'.repeat(70)}-1`)!;
    expect(a).not.toBe(b);
    for (const name of [a, b]) expect(name).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  });

  test('nothing usable left: refused', () => {
    expect(replicaAgentName('edge', '...')).toBeNull();
    expect(replicaAgentName('edge', '')).toBeNull();
  });
});
