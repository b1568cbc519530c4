// Database logins and the trust between the parts (DESIGN.md §6b): a token the API accepts never
// reaches an agent, the relay checks the login and access before it asks any agent for a tunnel,
// and the answers before login do not tell connection names apart. Real processes: oidc-provider,
// control plane (relay), agent (local ingress), PostgreSQL, psql and node-postgres.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  createTestDatabase,
  graphql,
  startAgent,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type ManagedProcess,
  type TestDatabase,
} from '@postern/testing';
import {
  POSTERN_AUDIENCE,
  POSTERN_DATA_PLANE_AUDIENCE,
  startDevIdp,
  type DevIdp,
} from '../../../libs/testing/src/idp/dev-idp.js';
import { devIdpEnv } from './support/oidc-login.js';
import { runPsql } from './support/psql.js';

let idp: DevIdp;
let cpDatabase: TestDatabase;
let warehouse: TestDatabase;
let cp: ControlPlaneHandle;
let agent: ManagedProcess;
let agentPort: number;
let relayPort: number;

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

/** A client-credentials token of the machine client (subject `ci-runner`) for `resource`. */
async function machineToken(resource: string): Promise<string> {
  const { clientId, clientSecret } = idp.clients.machine;
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'openid groups' }),
  });
  const body = (await response.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`no token for ${resource}: ${body.error_description}`);
  return body.access_token;
}

function psql(port: number, password: string, options: { database?: string; user?: string } = {}) {
  const conninfo = `host=127.0.0.1 port=${port} dbname=${options.database ?? 'warehouse'} user=${options.user ?? 'ci-runner'} sslmode=disable`;
  return runPsql(conninfo, password, ['-At', '-c', 'select 40 + 2']);
}

/** Agent log lines about relayed sessions: the agent saw a login only if one of these exists. */
function relayedOnAgent(): number {
  return agent.logs.filter((line) => line['ingress'] === 'relay').length;
}

beforeAll(async () => {
  idp = await startDevIdp();
  [cpDatabase, warehouse] = await Promise.all([createTestDatabase('postern_dpl'), createTestDatabase('postern_dplw')]);
  cp = await startControlPlane({
    databaseUrl: cpDatabase.url,
    env: { ...devIdpEnv(idp), POSTERN_RELAY_AUTH_FAILURES_PER_MINUTE: '3' },
  });
  relayPort = cp.relayPort!;
  const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation { createAgent(input: { name: "edge-dpl" }) { agent { id } enrollment { token } } }',
  );
  agent = startAgent({
    controlPlaneAddress: cp.grpcAddress,
    stateDir: join(mkdtempSync(join(tmpdir(), 'postern-dpl-')), 'state'),
    enrollmentToken: created.createAgent.enrollment.token,
    env: {
      POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
      POSTERN_AGENT_SECRET_ALLOW: 'env:WAREHOUSE_PASSWORD',
      POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
      POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: '127.0.0.1',
      WAREHOUSE_PASSWORD: 'trust-auth-ignores-it',
    },
  });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  await agent.waitForMessage('connected to control plane');
  for (const [name, groups] of [
    ['warehouse', ['ci-runners']],
    ['vault', ['treasurers']],
  ] as const) {
    const connection = await admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name,
          protocol: 'POSTGRES',
          agentId: created.createAgent.agent.id,
          targetHost: '127.0.0.1',
          targetPort: 5432,
          targetDatabase: warehouse.name,
          targetUser: 'postgres',
          secretRef: 'env:WAREHOUSE_PASSWORD',
          tlsMode: 'disable',
        },
      },
    );
    await admin(
      'mutation($id: ID!, $g: [String!]!) { createAccessRule(input: { connectionId: $id, groups: $g, operations: ["read"] }) { id } }',
      { id: connection.createConnection.id, g: groups },
    );
  }
  const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
  await waitFor(async () => (await psql(agentPort, token)).code === 0, { what: 'policy on the agent' });
}, 90_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await idp?.close();
  await Promise.all([cpDatabase?.drop(), warehouse?.drop()]);
});

describe('a token the API accepts never reaches an agent', () => {
  test('a data-plane token opens a session through the relay and the local ingress', async () => {
    const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
    for (const port of [relayPort, agentPort]) {
      const result = await psql(port, token);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('42');
    }
  });

  test('an API token is refused as a database password: by the relay before any tunnel, and by the agent', async () => {
    const apiToken = await machineToken(POSTERN_AUDIENCE);
    const seen = relayedOnAgent();
    const relayed = await psql(relayPort, apiToken);
    expect(relayed.code).not.toBe(0);
    expect(relayed.stderr).toContain('password authentication failed for user "ci-runner"');
    const local = await psql(agentPort, apiToken);
    expect(local.stderr).toContain('password authentication failed for user "ci-runner"');
    await cp.process.waitForMessage('relay login refused');
    expect(relayedOnAgent()).toBe(seen);
  });

  test('the API refuses a data-plane token', async () => {
    const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
    const refused = await graphql(cp.graphqlUrl, '{ me { id } }', {}, token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const accepted = await graphql(cp.graphqlUrl, '{ me { id } }', {}, await machineToken(POSTERN_AUDIENCE));
    expect(accepted.errors).toBeUndefined();
  });

  test('the relay asks no agent for a tunnel for a principal without access to the connection', async () => {
    const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
    const seen = relayedOnAgent();
    const result = await psql(relayPort, token, { database: 'vault' });
    expect(result.stderr).toContain('user "ci-runner" has no access to connection "vault"');
    expect(relayedOnAgent()).toBe(seen);
  });
});

describe('logins at the relay', () => {
  test('an unknown connection answers exactly like an existing one, before and after a good password', async () => {
    const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
    const unknownGood = await psql(relayPort, token, { database: 'nope' });
    const existingNoAccess = await psql(relayPort, token, { database: 'vault' });
    expect(unknownGood.stderr).toContain('user "ci-runner" has no access to connection "nope"');
    expect(unknownGood.stderr.replace('"nope"', '"vault"')).toBe(existingNoAccess.stderr);
    const unknownBad = await psql(relayPort, 'not-a-credential', { database: 'nope', user: 'prober' });
    const existingBad = await psql(relayPort, 'not-a-credential', { database: 'warehouse', user: 'prober' });
    expect(unknownBad.stderr).toBe(existingBad.stderr);
    expect(unknownBad.stderr).toContain('password authentication failed for user "prober"');
  });

  test('a user name that is not the token’s principal is refused with 28000', async () => {
    const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
    for (const port of [relayPort, agentPort]) {
      const client = new pg.Client({ host: '127.0.0.1', port, database: 'warehouse', user: 'alice', password: token });
      await expect(client.connect()).rejects.toMatchObject({
        code: '28000',
        message: 'the credential presented does not belong to user "alice"',
      });
    }
  });

  test('failed logins lock out that user name from that address, not the other users there', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await psql(relayPort, `wrong-${i}`, { user: 'mallory' })).stderr).toContain(
        'password authentication failed',
      );
    }
    expect((await psql(relayPort, 'wrong-again', { user: 'mallory' })).stderr).toContain(
      'too many failed authentications for user "mallory"',
    );
    const token = await machineToken(POSTERN_DATA_PLANE_AUDIENCE);
    expect((await psql(relayPort, token)).stdout.trim()).toBe('42');
  });

  test('a Terminate before any startup packet is closed without a word', async () => {
    const socket = connect(relayPort, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.from([0x58, 0, 0, 0, 4]));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Buffer.concat(received).length).toBe(0);
  });
});
