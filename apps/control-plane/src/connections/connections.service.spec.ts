import { describe, expect, test } from '@jest/globals';
import { strictMock } from '@postern/testing';
import type { AgentGroupsService } from '../agents/agent-groups.service.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import type { RedisService } from '../platform/infra/redis/redis.service.js';
import type { PolicyService } from '../policy/policy.service.js';
import type { Connection, ConnectionProtocol, ConnectionSpec, NewConnection } from './connection.types.js';
import type { ConnectionsRepository } from './connections.repository.js';
import { ConnectionsService } from './connections.service.js';

const AGENT = '4a3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d';

function service() {
  const created: NewConnection[] = [];
  const changed: string[][] = [];
  const repository = strictMock<ConnectionsRepository>(
    {
      create: async (input) => {
        created.push(input);
        return { ...input, id: 'c1', recordingMode: 'STRICT', createdAt: new Date(0) } satisfies Connection;
      },
    },
    'ConnectionsRepository',
  );
  const agents = strictMock<AgentsService>({ getAgent: async () => ({}) as never }, 'AgentsService');
  const policy = strictMock<PolicyService>(
    { changed: async (_reason: string, agentIds: string[]) => void changed.push(agentIds) },
    'PolicyService',
  );
  const audit = strictMock<AuditService>({ record: async () => undefined as never }, 'AuditService');
  return {
    created,
    changed,
    connections: new ConnectionsService(
      repository,
      agents,
      strictMock<AgentGroupsService>({}, 'AgentGroupsService'),
      policy,
      audit,
      strictMock<RedisService>({}, 'RedisService'),
    ),
  };
}

function spec(protocol: ConnectionProtocol, fields: Partial<ConnectionSpec>): ConnectionSpec {
  return {
    name: protocol.toLowerCase(),
    protocol,
    agentId: AGENT,
    agentGroupId: null,
    targetHost: null,
    targetPort: null,
    targetDatabase: null,
    targetUser: null,
    secretRef: null,
    tlsMode: null,
    tlsCaRef: null,
    url: null,
    hostKeyFingerprint: null,
    authHeaderName: null,
    forwardDestinations: null,
    ...fields,
  };
}

describe('ConnectionsService.create', () => {
  test('creates a connection of every protocol of the enum and pushes policy to its agent', async () => {
    const { connections, created, changed } = service();
    const specs = [
      spec('POSTGRES', { targetHost: 'pg', targetDatabase: 'orders', targetUser: 'app' }),
      spec('MYSQL', { targetHost: 'my', targetDatabase: 'shop', targetUser: 'app' }),
      spec('SSH', { targetHost: 'bastion', targetUser: 'deploy', hostKeyFingerprint: `SHA256:${'a'.repeat(43)}` }),
      spec('KUBERNETES', { url: 'https://kube:6443', secretRef: 'file:/sa/token' }),
      spec('HTTP', { url: 'https://api.internal', secretRef: 'env:TOKEN' }),
    ];
    for (const s of specs) await connections.create(s, 'admin');
    expect(created.map((c) => [c.protocol, c.targetHost, c.targetPort])).toEqual([
      ['POSTGRES', 'pg', 5432],
      ['MYSQL', 'my', 3306],
      ['SSH', 'bastion', 22],
      ['KUBERNETES', 'kube', 6443],
      ['HTTP', 'api.internal', 443],
    ]);
    expect(changed).toEqual(specs.map(() => [AGENT]));
  });

  test('refuses a spec its protocol does not accept, and an unknown protocol, before touching anything', async () => {
    const { connections, created } = service();
    await expect(
      connections.create(spec('SSH', { targetHost: 'bastion', targetUser: 'deploy' }), 'admin'),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      connections.create(spec('TELNET' as ConnectionProtocol, { targetHost: 'x' }), 'admin'),
    ).rejects.toThrow(/not a connection protocol/);
    await expect(
      connections.create(spec('toString' as ConnectionProtocol, { targetHost: 'x' }), 'admin'),
    ).rejects.toThrow(/not a connection protocol/);
    expect(created).toEqual([]);
  });
});
