// An agent process and a control-plane process talking real gRPC over TLS, against the machine's
// PostgreSQL and Redis: enrollment, presence, reconnects, and refusals of bad peers.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { agentV1, type ControlClient, type EnrollResponse__Output } from '@postern/proto';
import {
  type ManagedProcess,
  createTestDatabase,
  freePort,
  queryDatabase,
  selfSignedCertificate,
  startAgent,
  startControlPlane,
  waitFor,
  type CertificateFiles,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';

let database: TestDatabase;
let tls: CertificateFiles;
let grpcPort: number;
let cp: ControlPlaneHandle;
const processes: ManagedProcess[] = [];

const HEARTBEAT_TIMEOUT_MS = 1500;
/**
 * This file refuses many calls from one address on purpose (replayed tokens, bad credentials,
 * refused joins): a budget that lasts the whole file, so each refusal is answered with its own
 * reason; the budget itself is tested in the control plane's unauthenticated-grpc suite.
 */
const REFUSALS = { POSTERN_GRPC_REFUSAL_BURST_PER_ADDRESS: '1000' };

interface AgentView {
  id: string;
  name: string;
  status: string;
  version: string | null;
  hostname: string | null;
  lastSeenAt: string | null;
  connectedTo: string | null;
  connectedAt: string | null;
}

const AGENT_FIELDS = 'id name status version hostname lastSeenAt connectedTo connectedAt';

async function createAgent(name: string): Promise<{ id: string; token: string }> {
  const response = await cp.admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation($name: String!) { createAgent(input: { name: $name }) { agent { id } enrollment { token } } }',
    { name },
  );
  expect(response.errors).toBeUndefined();
  return { id: response.data!.createAgent.agent.id, token: response.data!.createAgent.enrollment.token };
}

async function agentView(id: string): Promise<AgentView> {
  const response = await cp.admin<{ agent: AgentView }>(`query($id: ID!) { agent(id: $id) { ${AGENT_FIELDS} } }`, {
    id,
  });
  if (response.errors) throw new Error(response.errors[0]!.message);
  return response.data!.agent;
}

function waitForStatus(id: string, wanted: string, timeoutMs = 10_000): Promise<AgentView> {
  return waitFor(
    async () => {
      const view = await agentView(id);
      return view.status === wanted ? view : undefined;
    },
    { timeoutMs, what: `agent ${id} ${wanted}` },
  );
}

function launchAgent(stateDir: string, token?: string): ManagedProcess {
  const agent = startAgent({
    controlPlaneAddress: `127.0.0.1:${grpcPort}`,
    stateDir,
    caFile: tls.certFile,
    ...(token ? { enrollmentToken: token } : {}),
  });
  processes.push(agent);
  return agent;
}

function controlClient(): ControlClient {
  const Control = agentV1().Control;
  return new Control(`127.0.0.1:${grpcPort}`, credentials.createSsl(readFileSync(tls.certFile)), {
    'grpc.ssl_target_name_override': 'localhost',
  }) as unknown as ControlClient;
}

function enroll(client: ControlClient, token: string): Promise<EnrollResponse__Output> {
  return new Promise((resolve, reject) =>
    client.Enroll({ enrollmentToken: token, agentVersion: 'test', hostname: 'test' }, (error, response) =>
      error ? reject(error) : resolve(response!),
    ),
  );
}

/** Opens a Control stream with the given credential and reports how the server ends it. */
function connectWith(client: ControlClient, credential: string): Promise<ServiceError> {
  return new Promise((resolve) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${credential}`);
    const stream = client.Connect(metadata);
    stream.on('data', () => undefined);
    stream.on('error', (error: ServiceError) => resolve(error));
    stream.write({
      hello: { agentVersion: 'test', hostname: 'test', capabilities: [], policyVersion: '0', instanceId: 'x' },
    });
  });
}

beforeAll(async () => {
  database = await createTestDatabase('postern_agent');
  tls = await selfSignedCertificate(['localhost']);
  grpcPort = await freePort();
  cp = await startControlPlane({ databaseUrl: database.url, tls, grpcPort, env: REFUSALS });
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await cp?.process.stop();
  await database?.drop();
});

describe('enrollment and presence', () => {
  let agentId: string;
  let token: string;
  let stateDir: string;
  let agent: ManagedProcess;

  test('an agent enrolls over TLS gRPC with its one-time token and shows online', async () => {
    ({ id: agentId, token } = await createAgent('edge-1'));
    stateDir = join(mkdtempSync(join(tmpdir(), 'postern-agent-')), 'state');
    agent = launchAgent(stateDir, token);

    const online = await waitForStatus(agentId, 'ONLINE');
    expect(online.version).toBe('0.1.0');
    expect(online.hostname).toBeTruthy();
    expect(online.connectedTo).toBeTruthy();

    // The credential is kept by the agent (owner-only) and only its hash by the control plane.
    const credentialFile = join(stateDir, 'agent-credential');
    expect(statSync(credentialFile).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const credential = readFileSync(credentialFile, 'utf8').trim();
    expect(credential).toMatch(/^postern_agent_[0-9a-f]{32}_/);
    const rows = await queryDatabase<{ credential_hash: Buffer }>(
      database.url,
      'SELECT credential_hash FROM agents WHERE id = $1',
      [agentId],
    );
    expect(rows[0]!.credential_hash).toHaveLength(32);
    const everything =
      JSON.stringify(await queryDatabase(database.url, 'SELECT * FROM agents')) +
      JSON.stringify(await queryDatabase(database.url, 'SELECT * FROM audit_events'));
    expect(everything).not.toContain(credential.slice(-43));
    expect(cp.process.output() + agent.output()).not.toContain(credential.slice(-43));
    expect(cp.process.output() + agent.output()).not.toContain(token.slice(-43));

    // Heartbeats keep last-seen moving.
    const before = Date.parse(online.lastSeenAt!);
    await waitFor(async () => Date.parse((await agentView(agentId)).lastSeenAt!) > before, { what: 'a heartbeat' });
  });

  test('a replayed enrollment token is refused, over the API and by a second agent process', async () => {
    const client = controlClient();
    try {
      const error = (await enroll(client, token).catch((e: unknown) => e)) as ServiceError;
      expect(error.code).toBe(status.PERMISSION_DENIED);
      expect(error.details).toBe('enrollment token is invalid, expired or already used');
    } finally {
      client.close();
    }
    const impostor = launchAgent(join(mkdtempSync(join(tmpdir(), 'postern-agent-')), 'state'), token);
    expect((await impostor.exit()).code).toBe(1);
    expect(impostor.output()).toMatch(
      /enrollment refused by the control plane: enrollment token is invalid, expired or already used/,
    );

    const refusals = await queryDatabase<{ details: { reason: string } }>(
      database.url,
      `SELECT details FROM audit_events WHERE kind = 'agent.enrollment_refused' AND agent_id = $1`,
      [agentId],
    );
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals[0]!.details.reason).toBe('token already used');
    // The impostor's refusal (same peer, same window) joins the window's agent.refusals_aggregated
    // row when the window ends; its warning is logged at once.
    const warned = cp.process.logs.filter((l) => l.msg === 'agent call refused' && l['agentId'] === agentId);
    expect(warned.length).toBeGreaterThanOrEqual(2);
    expect((await agentView(agentId)).status).toBe('ONLINE');
  });

  test('a wrong or missing agent credential is refused and other agents stay online', async () => {
    const client = controlClient();
    try {
      const forged = `postern_agent_${agentId.replaceAll('-', '')}_${'A'.repeat(43)}`;
      expect(await connectWith(client, forged)).toMatchObject({
        code: status.UNAUTHENTICATED,
        details: 'invalid agent credential',
      });
      expect(await connectWith(client, 'garbage')).toMatchObject({ code: status.UNAUTHENTICATED });
      const enrollToken = (await createAgent('edge-never')).token;
      expect(await connectWith(client, enrollToken)).toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      client.close();
    }
    expect((await agentView(agentId)).status).toBe('ONLINE');
  });

  test('a refused session report is dropped; the agent stream and its heartbeats carry on', async () => {
    const { id, token: enrollmentToken } = await createAgent('edge-raw');
    const client = controlClient();
    try {
      const { credential } = await enroll(client, enrollmentToken);
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${credential}`);
      const stream = client.Connect(metadata);
      const acks: string[] = [];
      stream.on('data', (message: { body?: string; heartbeatAck?: { seq: string } }) => {
        if (message.body === 'heartbeatAck') acks.push(message.heartbeatAck!.seq);
      });
      stream.on('error', () => undefined);
      stream.write({
        hello: { agentVersion: 'raw', hostname: 'raw', capabilities: [], policyVersion: '0', instanceId: 'raw-1' },
      });
      await waitForStatus(id, 'ONLINE');
      stream.write({
        sessionOpened: {
          sessionId: 'not-a-uuid',
          connectionId: 'nope',
          principal: null,
          clientAddress: 'x',
          ingress: 'local',
          startedAt: null,
          policyVersion: '0',
        },
      });
      stream.write({
        heartbeat: { seq: '7', sentAt: { unixMs: String(Date.now()) }, activeSessions: 0, policyVersion: '0' },
      });
      await waitFor(() => acks.includes('7'), { what: 'the heartbeat acknowledged after the refused report' });
      await cp.process.waitForMessage('session report refused');
      expect((await agentView(id)).status).toBe('ONLINE');
      stream.end();
    } finally {
      client.close();
    }
  });

  test('a malformed gRPC message ends only that call; the control plane stays up for other agents', async () => {
    // A raw client that sends bytes which are not a valid AgentMessage protobuf.
    const raw = new Client(`127.0.0.1:${grpcPort}`, credentials.createSsl(readFileSync(tls.certFile)), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    try {
      const credential = readFileSync(join(stateDir, 'agent-credential'), 'utf8').trim();
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${credential}`);
      const stream = raw.makeBidiStreamRequest(
        '/postern.agent.v1.Control/Connect',
        (value: Buffer) => value,
        (value: Buffer) => value,
        metadata,
      );
      const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
      stream.on('data', () => undefined);
      stream.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
      const error = await ended;
      expect([status.INTERNAL, status.INVALID_ARGUMENT]).toContain(error.code);
    } finally {
      raw.close();
    }
    expect(cp.process.running).toBe(true);
    expect((await fetch(`${cp.httpUrl}/readyz`)).status).toBe(200);
    // The malformed call used the real agent's credential; the real agent's stream is untouched
    // or, if replaced, re-established by the agent itself.
    await waitForStatus(agentId, 'ONLINE');
  });

  test('a killed agent shows offline within the heartbeat timeout, and comes back by itself', async () => {
    const killedAt = Date.now();
    agent.kill('SIGKILL');
    await agent.exit();
    await waitForStatus(agentId, 'OFFLINE', HEARTBEAT_TIMEOUT_MS + 1000);
    expect(Date.now() - killedAt).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 1000);

    agent = launchAgent(stateDir); // no token: the stored credential is enough
    await waitForStatus(agentId, 'ONLINE');
    await agent.waitForMessage('using stored agent credential');
  });

  test('an agent that stops heartbeating (frozen process) is marked offline by the heartbeat timeout', async () => {
    process.kill(agent.pid!, 'SIGSTOP');
    try {
      const frozenAt = Date.now();
      await waitForStatus(agentId, 'OFFLINE', HEARTBEAT_TIMEOUT_MS + 2000);
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - 300);
    } finally {
      process.kill(agent.pid!, 'SIGCONT');
    }
    await waitForStatus(agentId, 'ONLINE');
  });

  test('after the control plane restarts, the agent reconnects by itself', async () => {
    const before = await agentView(agentId);
    await cp.process.stop('SIGTERM');
    await agent.waitForMessage('control stream ended; reconnecting');
    cp = await startControlPlane({
      databaseUrl: database.url,
      tls,
      grpcPort,
      adminToken: cp.adminToken,
      env: REFUSALS,
    });
    const after = await waitFor(
      async () => {
        const view = await agentView(agentId);
        return view.status === 'ONLINE' && view.connectedTo !== before.connectedTo ? view : undefined;
      },
      { timeoutMs: 15_000, what: 'reconnect to the new control plane' },
    );
    expect(Date.parse(after.connectedAt!)).toBeGreaterThan(Date.parse(before.connectedAt!));
    expect(agent.running).toBe(true);
  });

  test('disabling an agent revokes its credential and ends its stream', async () => {
    const disabled = await cp.admin<{ disableAgent: { status: string } }>(
      'mutation($id: ID!) { disableAgent(id: $id) { status } }',
      {
        id: agentId,
      },
    );
    expect(disabled.data?.disableAgent.status).toBe('DISABLED');
    await agent.waitForLog(
      (line) =>
        line.msg === 'control stream ended; reconnecting' &&
        /disabled by an administrator|invalid agent credential/.test(String(line['reason'])),
    );
    await agent.waitForLog(
      (line) => line.msg === 'control stream ended; reconnecting' && line['code'] === 'UNAUTHENTICATED',
    );
    expect((await agentView(agentId)).status).toBe('DISABLED');
  });
});

describe('agent-group join tokens: replicas of one group, each with its own identity', () => {
  interface GroupView {
    agentGroups: {
      id: string;
      name: string;
      joinTokens: { id: string; agentCount: number; maxAgents: number | null; revokedAt: string | null }[];
    }[];
  }
  let groupId: string;
  let joinToken: string;
  let joinTokenId: string;
  const replicas: { stateDir: string; process: ManagedProcess }[] = [];

  function launchReplica(host: string, token: string): { stateDir: string; process: ManagedProcess } {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'postern-replica-')), 'state');
    const process = startAgent({
      controlPlaneAddress: `127.0.0.1:${grpcPort}`,
      stateDir,
      caFile: tls.certFile,
      enrollmentToken: token,
      env: { POSTERN_AGENT_HOSTNAME: host },
    });
    processes.push(process);
    return { stateDir, process };
  }

  async function members(): Promise<AgentView[]> {
    const response = await cp.admin<{ agents: AgentView[] }>(
      `query($g: ID!) { agents(agentGroupId: $g) { ${AGENT_FIELDS} } }`,
      { g: groupId },
    );
    if (response.errors) throw new Error(response.errors[0]!.message);
    return response.data!.agents;
  }

  beforeAll(async () => {
    const group = await cp.admin<{ createAgentGroup: { id: string } }>(
      'mutation { createAgentGroup(name: "edge_pool") { id } }',
    );
    groupId = group.data!.createAgentGroup.id;
    const issued = await cp.admin<{ createAgentGroupJoinToken: { token: string; joinToken: { id: string } } }>(
      'mutation($g: ID!) { createAgentGroupJoinToken(agentGroupId: $g, maxAgents: 2) { token joinToken { id } } }',
      { g: groupId },
    );
    expect(issued.errors).toBeUndefined();
    joinToken = issued.data!.createAgentGroupJoinToken.token;
    joinTokenId = issued.data!.createAgentGroupJoinToken.joinToken.id;
    expect(joinToken).toMatch(/^postern_join_[0-9a-f]{32}_/);
  });

  test('two replicas sharing one join token become two agents of the group, both online, no flapping', async () => {
    replicas.push(launchReplica('edge-pool-0', joinToken), launchReplica('edge-pool-1', joinToken));
    const online = await waitFor(
      async () => {
        const list = await members();
        return list.length === 2 && list.every((a) => a.status === 'ONLINE') ? list : undefined;
      },
      { timeoutMs: 20_000, what: 'both replicas online' },
    );
    expect(online.map((a) => a.name).sort()).toEqual(['edge-pool-edge-pool-0', 'edge-pool-edge-pool-1']);
    // Each kept a credential of its own: two different files, each naming its own agent.
    const credentials = replicas.map((r) => readFileSync(join(r.stateDir, 'agent-credential'), 'utf8').trim());
    expect(new Set(credentials).size).toBe(2);
    for (const [i, credential] of credentials.entries()) {
      expect(credential).toMatch(new RegExp(`^postern_agent_${online[i]!.id.replaceAll('-', '')}_`));
    }
    // Both stay on their first streams through later heartbeats: neither rotated the other's credential.
    const before = online.map((a) => a.connectedAt);
    await waitFor(
      async () => {
        const list = await members();
        return list.every((a, i) => Date.parse(a.lastSeenAt!) > Date.parse(online[i]!.lastSeenAt!)) ? list : undefined;
      },
      { timeoutMs: 20_000, what: 'a heartbeat from each replica' },
    );
    const after = await members();
    expect(after.every((a) => a.status === 'ONLINE')).toBe(true);
    expect(after.map((a) => a.connectedAt)).toEqual(before);
  });

  test('a restarted replica that lost its volume re-joins as the same agent with a new credential', async () => {
    const [first] = replicas;
    const agentBefore = (await members()).find((a) => a.name === 'edge-pool-edge-pool-0')!;
    await first!.process.stop('SIGKILL');
    replicas[0] = launchReplica('edge-pool-0', joinToken); // fresh state directory
    const back = await waitFor(
      async () => {
        const list = await members();
        const again = list.find((a) => a.name === 'edge-pool-edge-pool-0');
        return list.length === 2 && again?.status === 'ONLINE' && again.connectedAt !== agentBefore.connectedAt
          ? again
          : undefined;
      },
      { timeoutMs: 20_000, what: 'replica 0 back' },
    );
    expect(back.id).toBe(agentBefore.id);
  });

  test('the cap counts distinct agents; a third replica is refused and audited, the others stay online', async () => {
    const third = launchReplica('edge-pool-2', joinToken);
    expect((await third.process.exit()).code).toBe(1);
    expect(third.process.output()).toMatch(/enrollment refused by the control plane: enrollment token is invalid/);
    expect((await members()).length).toBe(2);
    const groups = await cp.admin<GroupView>(
      '{ agentGroups { id name joinTokens { id agentCount maxAgents revokedAt } } }',
    );
    const token = groups.data!.agentGroups.find((g) => g.id === groupId)!.joinTokens.find((t) => t.id === joinTokenId)!;
    expect(token).toMatchObject({ agentCount: 2, maxAgents: 2, revokedAt: null });
    // The real reason is the control plane's to know (logged at once; audited, aggregated per peer).
    const warned = await cp.process.waitForLog(
      (l) => l.msg === 'agent call refused' && /token used up/.test(String(l['reason'])),
    );
    expect(String(warned['reason'])).toContain('edge-pool-edge-pool-2');
  });

  test('a join token cannot take over a group agent an admin created: its name is refused, its credential kept', async () => {
    const created = await cp.admin<{ createAgent: { agent: { id: string } } }>(
      'mutation($g: ID!) { createAgent(input: { name: "edge-pool-primary", agentGroupId: $g }) { agent { id } } }',
      { g: groupId },
    );
    expect(created.errors).toBeUndefined();
    const client = controlClient();
    const error = (await new Promise((resolve) =>
      client.Enroll({ enrollmentToken: joinToken, agentVersion: 'test', hostname: 'primary' }, (e) => resolve(e)),
    )) as ServiceError;
    client.close();
    expect(error.code).toBe(status.PERMISSION_DENIED);
    // The real reason is in the control plane's log (written as the refusal is answered: wait for it).
    await cp.process.waitForLog(
      (l) => l.msg === 'agent call refused' && /did not join \(edge-pool-primary\)/.test(String(l['reason'])),
    );
    const [row] = await queryDatabase<{ join_token_id: string | null; enrolled_at: Date | null }>(
      database.url,
      'SELECT join_token_id, enrolled_at FROM agents WHERE name = $1',
      ['edge-pool-primary'],
    );
    expect(row).toEqual({ join_token_id: null, enrolled_at: null });
  });

  test('a revoked join token lets no new replica in; joined agents keep working', async () => {
    const revoked = await cp.admin<{ revokeAgentGroupJoinToken: boolean }>(
      'mutation($id: ID!) { revokeAgentGroupJoinToken(id: $id) }',
      { id: joinTokenId },
    );
    expect(revoked.data?.revokeAgentGroupJoinToken).toBe(true);
    const client = controlClient();
    await expect(enroll(client, joinToken)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    client.close();
    const joined = (await members()).filter((a) => a.name.startsWith('edge-pool-edge-pool-'));
    expect(joined).toHaveLength(2);
    expect(joined.every((a) => a.status === 'ONLINE')).toBe(true);
  });
});
