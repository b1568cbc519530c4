// The HTTP engine in the real agent, enrolled in the real control plane (libs/testing's stack):
// an HTTP connection with injection options created through GraphQL, `http` guardrail and
// masking rules validated by the control plane and enforced by the agent, a minted connection
// credential as the caller's bearer token, curl as the client, the test upstream as the API.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startHttpUpstream, startStack, type HttpUpstream, type TestStack } from '@postern/testing';
import { curl } from './http-harness.js';
import { freePort } from './ssh-harness.js';

let upstream: HttpUpstream;
let stack: TestStack;
let port: number;
let token: string;
let connectionId: string;

async function admin<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (!response.data) throw new Error(response.errors?.[0]?.message ?? 'no data');
  return response.data;
}

beforeAll(async () => {
  upstream = await startHttpUpstream();
  port = await freePort();
  stack = await startStack({ name: 'http_stack' });
  const agent = await stack.enrollAgent('http-agent', {
    POSTERN_AGENT_HTTP_LISTEN: `127.0.0.1:${port}`,
    POSTERN_AGENT_SECRET_ALLOW: 'env:HTTP_UPSTREAM_TOKEN',
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${upstream.port}`,
    HTTP_UPSTREAM_TOKEN: 'upstream-token-42',
  });
  const created = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'orders-api',
        protocol: 'HTTP',
        agentId: agent.id,
        url: upstream.url,
        secretRef: 'env:HTTP_UPSTREAM_TOKEN',
        http: { authScheme: 'bearer', approvalHoldSeconds: 0 },
      },
    },
  );
  connectionId = created.createConnection.id;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "alice@example.com", groups: ["engineers"] }) { id } }',
    {},
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["read"] }) { id } }',
    { c: connectionId },
  );
  await admin(
    'mutation { createGuardrail(input: { name: "no user deletes", dialect: "http", match: { statementKinds: ["DELETE"], relations: ["/users/*"] } }) { id } }',
    {},
  );
  await admin(
    'mutation { createMaskingRule(input: { name: "emails", dialect: "http", spec: { columns: ["email"], style: "redact" } }) { id } }',
    {},
  );
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  token = minted.mintConnectionCredential.password;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.stop();
});

const url = (path: string) => `http://127.0.0.1:${port}/c/orders-api${path}`;

/** Retries while the agent has not yet received the snapshot naming the connection and the rules. */
async function whenReady(args: string[], ready: (status: number) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await curl(args);
    if (ready(result.status) || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('http through the real agent and control plane', () => {
  test('a minted credential reaches the API with the injected token, the answer masked', async () => {
    const result = await whenReady(['-H', `Authorization: Bearer ${token}`, url('/users/5')], (s) => s === 200);
    expect(result.status).toBe(200);
    const doc = JSON.parse(result.body) as { email: string; name: string };
    expect(doc.email).toBe('********');
    expect(doc.name).toBe('Ada Lovelace');
    const seen = upstream.seen.find((r) => r.url === '/users/5')!;
    expect(seen.headers['authorization']).toBe('Bearer upstream-token-42');
  });

  test('an http guardrail written through GraphQL answers 403 naming it', async () => {
    const result = await whenReady(
      ['-X', 'DELETE', '-H', `Authorization: Bearer ${token}`, url('/users/5')],
      (s) => s === 403,
    );
    expect(result.status).toBe(403);
    expect(JSON.parse(result.body).title).toContain('no user deletes');
  });

  test('the connection shows the http options it was created with, never a secret value', async () => {
    type Options = { authScheme: string; approvalHoldSeconds: number; identityAssertion: boolean; extraHeaders: [] };
    const { connections } = await admin<{
      connections: { id: string; secretRef: string; http: Options | null }[];
    }>(
      '{ connections { id secretRef http { authScheme approvalHoldSeconds identityAssertion extraHeaders { name } } } }',
      {},
    );
    const shown = connections.find((c) => c.id === connectionId)!;
    expect(shown.http).toEqual({
      authScheme: 'bearer',
      approvalHoldSeconds: 0,
      identityAssertion: false,
      extraHeaders: [],
    });
    expect(shown.secretRef).toBe('env:HTTP_UPSTREAM_TOKEN');
    expect(JSON.stringify(shown)).not.toContain('upstream-token-42');
  });

  test('a wrong credential is refused with 401', async () => {
    const result = await curl(['-H', `Authorization: Bearer ${token.slice(0, -4)}AAAA`, url('/users/5')]);
    expect(result.status).toBe(401);
  });

  test('the sessions are reported to the control plane', async () => {
    type Row = { status: string; endReason: string | null };
    const deadline = Date.now() + 15_000;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      rows = (
        await admin<{ sessions: Row[] }>('query($c: ID!) { sessions(connectionId: $c) { status endReason } }', {
          c: connectionId,
        })
      ).sessions.filter((s) => s.status === 'CLOSED');
      if (rows.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(rows.map((r) => r.endReason)).toContain('client_closed');
  });
});
