// Machines reach databases with a short-lived OIDC access token as the password: the real
// oidc-provider issues it (client credentials), the control plane pushes the IdP's keys to the
// agent, and the agent verifies the token locally and ends the session when it expires.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  createTestDatabase,
  startAgent,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type ManagedProcess,
  type TestDatabase,
} from '@postern/testing';
import { POSTERN_DATA_PLANE_AUDIENCE, startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { devIdpEnv } from './support/oidc-login.js';

const run = promisify(execFile);
const TOKEN_TTL_SECONDS = 3;
/** The agent's allowance for IdP clock skew (TOKEN_CLOCK_TOLERANCE_SECONDS in the agent). */
const TOLERANCE_SECONDS = 5;

let idp: DevIdp;
let cpDatabase: TestDatabase;
let warehouse: TestDatabase;
let cp: ControlPlaneHandle;
let agent: ManagedProcess;
let agentPort: number;

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

async function machineToken(): Promise<string> {
  const { clientId, clientSecret } = idp.clients.machine;
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: POSTERN_DATA_PLANE_AUDIENCE,
      scope: 'openid groups',
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function psql(password: string) {
  try {
    const { stdout } = await run(
      'psql',
      [
        `host=127.0.0.1 port=${agentPort} dbname=warehouse user=ci-runner sslmode=disable`,
        '-X',
        '-At',
        '-c',
        'select 40 + 2',
      ],
      {
        env: { PATH: process.env['PATH'] ?? '', PGPASSWORD: password },
      },
    );
    return { ok: true, out: stdout.trim() };
  } catch (error) {
    return { ok: false, out: (error as { stderr: string }).stderr };
  }
}

beforeAll(async () => {
  idp = await startDevIdp({ accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  [cpDatabase, warehouse] = await Promise.all([createTestDatabase('postern_mt'), createTestDatabase('postern_wh')]);
  cp = await startControlPlane({
    databaseUrl: cpDatabase.url,
    env: {
      ...devIdpEnv(idp),
    },
  });
  const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
    'mutation { createAgent(input: { name: "edge-mt" }) { agent { id } enrollment { token } } }',
  );
  agent = startAgent({
    controlPlaneAddress: cp.grpcAddress,
    stateDir: join(mkdtempSync(join(tmpdir(), 'postern-mt-')), 'state'),
    enrollmentToken: created.createAgent.enrollment.token,
    env: { POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0', WAREHOUSE_PASSWORD: 'trust-auth-ignores-it' },
  });
  agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
  const connection = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'warehouse',
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
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["ci-runners"], operations: ["read"] }) { id } }',
    {
      id: connection.createConnection.id,
    },
  );
}, 90_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await idp?.close();
  await Promise.all([cpDatabase?.drop(), warehouse?.drop()]);
});

describe('OIDC access tokens as database passwords', () => {
  test('a client-credentials token is admitted by the agent, verified with the keys the control plane pushed', async () => {
    const token = await machineToken();
    const result = await waitFor(
      async () => {
        const r = await psql(token);
        return r.ok ? r : undefined;
      },
      { what: 'the token admitted', timeoutMs: 10_000 },
    );
    expect(result.out).toBe('42');
    const sessions = await waitFor(
      async () => {
        const data = await admin<{
          sessions: Array<{ principalKind: string; principalName: string; principalId: string }>;
        }>('query { sessions(limit: 10) { principalKind principalName principalId } }');
        return data.sessions.length > 0 ? data.sessions : undefined;
      },
      { what: 'the session record' },
    );
    expect(sessions[0]).toMatchObject({
      principalKind: 'service',
      principalName: 'ci-runner',
      principalId: 'oidc:ci-runner',
    });
  });

  test('a forged or garbled token is refused (28P01 to the client, the reason in the agent log)', async () => {
    const token = await machineToken();
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.slice(0, 10)}${signature![10] === 'A' ? 'B' : 'A'}${signature!.slice(11)}`;
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
        groups: ['ci-runners', 'postern-admins'],
      }),
    ).toString('base64url');
    for (const forged of [
      `${header}.${payload}.${flipped}`,
      `${header}.${forgedPayload}.${signature}`,
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    ]) {
      const result = await psql(forged);
      expect(result.ok).toBe(false);
      expect(result.out).toMatch(/password authentication failed/);
    }
    // The agent logs asynchronously: wait for the three refusals to be written.
    await waitFor(() => agent.logs.filter((l) => l.msg === 'authentication refused').length >= 3, {
      what: 'three refusals logged',
    });
    const refusals = agent.logs.filter((l) => l.msg === 'authentication refused');
    expect(
      refusals.every((l) => l['reason'] === 'invalid_credential' && /token refused/.test(String(l['detail']))),
    ).toBe(true);
    expect(agent.output()).not.toContain(signature);
  });

  test('a session opened with a token ends when the token expires', async () => {
    const token = await machineToken();
    const issuedAt = Date.now();
    const client = new pg.Client({
      host: '127.0.0.1',
      port: agentPort,
      database: 'warehouse',
      user: 'ci-runner',
      password: token,
    });
    const ended = new Promise<{ code?: string; at: number }>((resolve) =>
      client.on('error', (error: Error & { code?: string }) => resolve({ code: error.code, at: Date.now() })),
    );
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    const { code, at } = await ended;
    expect(code).toBe('57P01');
    const lifetime = (TOKEN_TTL_SECONDS + TOLERANCE_SECONDS) * 1000;
    expect(at - issuedAt).toBeGreaterThanOrEqual(lifetime - 1500);
    expect(at - issuedAt).toBeLessThan(lifetime + 2000);
    await client.end().catch(() => undefined);
    // An expired token cannot open a new session either.
    expect((await psql(token)).out).toMatch(/credential of user "ci-runner" has expired/);
    await agent.waitForLog((l) => l.msg === 'authentication refused' && l['reason'] === 'expired_credential');
  });
});
