// Agent replicas and fleet visibility through the real control plane: a connection served by an
// agent group reaches every member's snapshot; the relay sends each new client to an online
// member; agents on an old policy version are listed; policy changes travel as deltas that end
// in exactly the snapshot a full push gives. Agents are ReplicaAgents speaking the real contract.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  waitFor,
  createTestDatabase,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';
import { applyPolicyUpdate, type PolicySnapshot__Output } from '@postern/proto';
import { ReplicaAgent } from './support/replica-agent.js';

let database: TestDatabase;
let cp: ControlPlaneHandle;
let groupId: string;
let a: ReplicaAgent;
let b: ReplicaAgent;
let connectionId: string;
const sockets: Socket[] = [];

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

const CONNECTION_INPUT = {
  protocol: 'POSTGRES',
  targetHost: '127.0.0.1',
  targetPort: 5432,
  targetDatabase: 'orders',
  targetUser: 'postgres',
  secretRef: 'env:UNUSED',
  tlsMode: 'disable',
};

/** alice's connection credential for `orders` (the relay checks a login before any tunnel). */
let password: string;

/**
 * A PostgreSQL client logging in to `database` on the relay as alice: StartupMessage, then her
 * credential when the relay asks for it; the socket stays open.
 */
function startup(database: string): Socket {
  const params = Buffer.from(`user\0alice@example.com\0database\0${database}\0\0`);
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + params.length, 0);
  header.writeInt32BE(196608, 4);
  const socket = connect(cp.relayPort!, '127.0.0.1', () => socket.write(Buffer.concat([header, params])));
  socket.once('data', (reply) => {
    // AuthenticationCleartextPassword ('R', code 3): answer with a PasswordMessage.
    if (reply[0] !== 0x52 || reply.readInt32BE(5) !== 3) return;
    const body = Buffer.from(`${password}\0`);
    const message = Buffer.alloc(5 + body.length);
    message.write('p', 0);
    message.writeInt32BE(4 + body.length, 1);
    body.copy(message, 5);
    socket.write(message);
  });
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
}

const ids = (snapshot: PolicySnapshot__Output | null) => snapshot?.connections.map((c) => c.id) ?? [];

beforeAll(async () => {
  database = await createTestDatabase('postern_fleet');
  cp = await startControlPlane({ databaseUrl: database.url });
  groupId = (
    await admin<{ createAgentGroup: { id: string } }>('mutation { createAgentGroup(name: "edge-pool") { id } }')
  ).createAgentGroup.id;
  // One replica joins the group at creation, the other afterwards.
  a = await ReplicaAgent.start(cp, 'pool-a', groupId);
  b = await ReplicaAgent.start(cp, 'pool-b', null);
  await admin('mutation($a: ID!, $g: ID) { setAgentGroup(agentId: $a, agentGroupId: $g) { id } }', {
    a: b.id,
    g: groupId,
  });
  connectionId = (
    await admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id agentGroupId } }',
      { input: { ...CONNECTION_INPUT, name: 'orders', agentGroupId: groupId } },
    )
  ).createConnection.id;
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  a?.close();
  b?.close();
  await cp?.process.stop();
  await database?.drop();
});

describe('agent groups', () => {
  test('every member of the group gets the connection and its access rules', async () => {
    await admin(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["dba"], operations: ["read"] }) { id } }',
      { id: connectionId },
    );
    const userId = (
      await admin<{ createUser: { id: string } }>(
        'mutation { createUser(input: { email: "alice@example.com", groups: ["dba"] }) { id } }',
      )
    ).createUser.id;
    password = (
      await admin<{ mintConnectionCredential: { password: string } }>(
        'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
        { c: connectionId, u: userId },
      )
    ).mintConnectionCredential.password;
    for (const replica of [a, b]) {
      const policy = await replica.policy(
        (p) => ids(p).includes(connectionId) && p.accessRules.some((r) => r.connectionId === connectionId),
        'the group connection and its rule',
      );
      expect(policy.connections.find((c) => c.id === connectionId)?.name).toBe('orders');
    }
    const members = await admin<{ agents: Array<{ name: string; agentGroupId: string }> }>(
      'query($g: ID) { agents(agentGroupId: $g) { name agentGroupId } }',
      { g: groupId },
    );
    expect(members.agents.map((m) => m.name)).toEqual(['pool-a', 'pool-b']);
  });

  test('a connection names exactly one of agentId and agentGroupId', async () => {
    const both = await cp.admin('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }', {
      input: { ...CONNECTION_INPUT, name: 'both', agentId: a.id, agentGroupId: groupId },
    });
    expect(both.errors?.[0]?.message).toMatch(/exactly one of agentId and agentGroupId/);
    const neither = await cp.admin(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      { input: { ...CONNECTION_INPUT, name: 'neither' } },
    );
    expect(neither.errors?.[0]?.message).toMatch(/exactly one of agentId and agentGroupId/);
  });

  test('the relay spreads new clients over online members and skips an offline one', async () => {
    const before = { a: a.tunnels().length, b: b.tunnels().length };
    startup('orders');
    startup('orders');
    await waitFor(() => (a.tunnels().length + b.tunnels().length - before.a - before.b >= 2 ? true : undefined), {
      what: 'two OpenTunnel requests',
    });
    // Both report no sessions: round-robin, one client each.
    expect(a.tunnels().length - before.a).toBe(1);
    expect(b.tunnels().length - before.b).toBe(1);
    expect(a.tunnels().at(-1)?.connectionId).toBe(connectionId);

    a.disconnect();
    await waitFor(
      async () => {
        const { agent } = await admin<{ agent: { status: string } }>('query($id: ID!) { agent(id: $id) { status } }', {
          id: a.id,
        });
        return agent.status === 'OFFLINE' ? true : undefined;
      },
      { what: 'pool-a offline' },
    );
    const onB = b.tunnels().length;
    startup('orders');
    startup('orders');
    await waitFor(() => (b.tunnels().length - onB >= 2 ? true : undefined), { what: 'both clients on pool-b' });
    await a.connect();
  });
});

describe('fleet visibility and policy deltas', () => {
  test('agents list their version and enforced policy; stalePolicy lists those behind', async () => {
    const latestOf = async () =>
      (
        await admin<{ agents: Array<{ name: string; policyVersion: string; policyBehind: number }> }>(
          'query { agents { name version status policyVersion policyBehind } }',
        )
      ).agents;
    // Both replicas ack every push: none stays behind.
    await waitFor(async () => ((await latestOf()).every((x) => x.policyBehind === 0) ? true : undefined), {
      what: 'both agents up to date',
    });
    const all = await admin<{ agents: Array<{ version: string; status: string }> }>(
      'query { agents { version status } }',
    );
    expect(all.agents).toEqual([
      { version: 'replica-1.2.3', status: 'ONLINE' },
      { version: 'replica-1.2.3', status: 'ONLINE' },
    ]);
    expect((await admin<{ agents: unknown[] }>('query { agents(stalePolicy: true) { name } }')).agents).toEqual([]);

    // pool-b stops: the next change leaves it behind.
    b.disconnect();
    await admin('mutation { createGuardrail(input: { name: "no drop", match: { statementKinds: ["DROP"] } }) { id } }');
    await a.policy((p) => p.guardrails.some((g) => g.name === 'no drop'), 'the guardrail on pool-a');
    const stale = await waitFor(
      async () => {
        const { agents } = await admin<{ agents: Array<{ name: string; policyBehind: number }> }>(
          'query { agents(stalePolicy: true) { name policyBehind } }',
        );
        return agents.length === 1 ? agents : undefined;
      },
      { what: 'pool-b listed as stale' },
    );
    expect(stale).toEqual([{ name: 'pool-b', policyBehind: 1 }]);

    // Back with the version it holds: it gets a delta from there, not the whole snapshot.
    await b.connect();
    expect(b.received.find((m) => m.body === 'policyUpdate' || m.body === 'policySnapshot')?.body).toBe('policyUpdate');
    await b.policy((p) => p.guardrails.some((g) => g.name === 'no drop'), 'the guardrail on pool-b');
  });

  test('a rule change arrives as a delta and ends in exactly the full snapshot', async () => {
    const start = a.received.length;
    await admin(
      'mutation($c: [ID!]) { createGuardrail(input: { name: "orders: no delete", connectionIds: $c, match: { missingWhere: true } }) { id } }',
      { c: [connectionId] },
    );
    const update = await a.next((m) => a.received.indexOf(m) >= start && m.body === 'policyUpdate', 'a policy update');
    expect(update.policyUpdate!.upserts!.guardrails.map((g) => g.name)).toEqual(['orders: no delete']);
    expect(update.policyUpdate!.upserts!.connections).toEqual([]);
    const viaDelta = await a.policy((p) => p.version === update.policyUpdate!.version, 'the delta applied');

    // Refuse the next delta: the control plane answers with the full snapshot.
    a.acceptDeltas = false;
    const mark = a.received.length;
    await admin(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["ops"], operations: ["read"] }) { id } }',
      { id: connectionId },
    );
    const full = (await a.next((m) => a.received.indexOf(m) >= mark && m.body === 'policySnapshot', 'a full snapshot'))
      .policySnapshot!;
    const refused = (
      await a.next((m) => a.received.indexOf(m) >= mark && m.body === 'policyUpdate', 'the refused delta')
    ).policyUpdate!;
    expect(refused.version).toBe(full.version);
    // The refused delta applied to what the agent held is exactly the full snapshot of that
    // version (the compile time aside).
    const { generatedAt: _deltaTime, ...applied } = applyPolicyUpdate(viaDelta, refused);
    const { generatedAt: _fullTime, ...expected } = full;
    expect(applied).toEqual(expected);
    expect(a.held).toEqual(full);
    // And the next change is a delta again, applied on top of the full snapshot.
    const again = a.received.length;
    await admin(
      'mutation { createGuardrail(input: { name: "no truncate", match: { statementKinds: ["TRUNCATE"] } }) { id } }',
    );
    await a.next((m) => a.received.indexOf(m) >= again && m.body === 'policyUpdate', 'another delta');
    await a.policy((p) => p.guardrails.length === 3, 'three guardrails');
  });
});

// Last: the outsider agent it creates would show in the fleet listings above.
describe('session reports from agents of a group', () => {
  test("a member's session on the group's connection is stored; an outsider's report of one is refused", async () => {
    const outsider = await ReplicaAgent.start(cp, 'outsider', null);
    try {
      const opened = (sessionId: string) => ({
        sessionOpened: {
          sessionId,
          connectionId,
          principal: { id: 'alice', displayName: 'alice', kind: 'KIND_USER' as const },
          clientAddress: '127.0.0.1:50000',
          ingress: 'local',
          startedAt: { unixMs: String(Date.now()) },
          policyVersion: '1',
        },
      });
      const member = randomUUID();
      const stranger = randomUUID();
      // Reports are handled in order and acknowledged once stored or refused for good.
      await a.report(opened(member));
      await outsider.report(opened(stranger));
      const stored = await queryDatabase<{ id: string; agent_id: string }>(
        database.url,
        'SELECT id, agent_id FROM sessions WHERE id = ANY($1::uuid[])',
        [[member, stranger]],
      );
      expect(stored).toEqual([{ id: member, agent_id: a.id }]);
    } finally {
      outsider.close();
    }
  });
});
