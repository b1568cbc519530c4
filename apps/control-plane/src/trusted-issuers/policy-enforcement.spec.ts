import { describe, expect, test } from '@jest/globals';
import type { Logger } from '@postern/logging';
import { strictMock } from '@postern/testing';
import type { Agent } from '../agents/agent.types.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { Connection } from '../connections/connection.types.js';
import type { ConnectionsService } from '../connections/connections.service.js';
import { PolicyEnforcement } from './policy-enforcement.js';

const CONNECTION = { id: 'c1', agentId: null, agentGroupId: 'g1' } as Connection;

/** Agents whose reported policy versions advance by one at each look, from `start`. */
function enforcement(agents: Array<{ id: string; status: Agent['status']; start: bigint | null }>) {
  const looks = new Map<string, number>();
  const warned: unknown[] = [];
  const service = new PolicyEnforcement(
    strictMock<AgentsService>(
      {
        getAgent: async (id) => {
          const agent = agents.find((a) => a.id === id)!;
          const look = looks.get(id) ?? 0;
          looks.set(id, look + 1);
          const policyVersion = agent.start === null ? null : agent.start + BigInt(look);
          return { id, status: agent.status, policyVersion } as Agent;
        },
      },
      'AgentsService',
    ),
    strictMock<ConnectionsService>({ servingAgentIds: async () => agents.map((a) => a.id) }, 'ConnectionsService'),
    strictMock<Logger>({ warn: (details: unknown) => void warned.push(details) }, 'Logger'),
  );
  return { service, looks, warned };
}

describe('PolicyEnforcement.waitUntilEnforced', () => {
  test('answers once every online agent of the group enforces the version; offline ones are not waited for', async () => {
    const { service, looks } = enforcement([
      { id: 'a1', status: 'ONLINE', start: 5n },
      { id: 'a2', status: 'OFFLINE', start: null },
    ]);
    expect(await service.waitUntilEnforced(CONNECTION, 7n, 10_000)).toBe(true);
    expect(looks.get('a1')).toBe(3); // 5, 6, 7
  });

  test('gives up at the deadline, says so in the log, and lets the exchange answer anyway', async () => {
    const { service, warned } = enforcement([{ id: 'a1', status: 'ONLINE', start: null }]);
    expect(await service.waitUntilEnforced(CONNECTION, 7n, 0)).toBe(false);
    expect(warned).toEqual([expect.objectContaining({ connectionId: 'c1', version: '7', agents: ['a1'] })]);
  });
});
