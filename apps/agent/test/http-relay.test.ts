// The control plane's HTTP relay front door with the real agent: curl reaches the relay over TLS
// (the relay's own certificate, trusted with --cacert), names the connection by the path prefix
// /c/<connection>/ and sends a minted connection credential as a bearer token. The relay checks
// it before asking the agent for anything, replays the request to the agent's HTTP engine over
// the relay data connection, and the engine authenticates again, injects the upstream's token and
// masks the answer. A second replica holding no agent stream forwards over the internal link.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  startControlPlane,
  startHttpUpstream,
  startRelayStack,
  type CertificateFiles,
  type ControlPlaneHandle,
  type HttpUpstream,
  type RelayStack,
  type TestStack,
} from '@postern/testing';
import { curl } from './http-harness.js';

let upstream: HttpUpstream;
let relay: RelayStack;
let stack: TestStack;
let replica: ControlPlaneHandle;
let relayTls: CertificateFiles;
let relayPort: number;
let replicaRelayPort: number;
let token: string;

const admin = <T>(query: string, variables: Record<string, unknown> = {}) => relay.admin<T>(query, variables);

beforeAll(async () => {
  [upstream, relay] = await Promise.all([
    startHttpUpstream(),
    startRelayStack({ name: 'http-relay', protocols: ['http'] }),
  ]);
  ({ stack, relayTls } = relay);
  relayPort = relay.ports['http']!;
  const [started, agent] = await Promise.all([
    startControlPlane({
      databaseUrl: stack.database.url,
      redisPrefix: relay.redisPrefix,
      adminToken: stack.cp.adminToken,
      env: { ...relay.env, POSTERN_INSTANCE_ID: 'http-relay-replica' },
    }),
    stack.enrollAgent('http-relay-agent', {
      POSTERN_AGENT_SECRET_ALLOW: 'env:HTTP_UPSTREAM_TOKEN',
      POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${upstream.port}`,
      HTTP_UPSTREAM_TOKEN: 'upstream-token-7',
    }),
  ]);
  replica = started;
  replicaRelayPort = Number((await replica.process.waitForMessage('http relay listening'))['port']);
  const created = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'billing-api',
        protocol: 'HTTP',
        agentId: agent.id,
        url: upstream.url,
        secretRef: 'env:HTTP_UPSTREAM_TOKEN',
        http: { authScheme: 'bearer', credentialHeader: 'X-Postern-Token', credentialCookie: 'postern' },
      },
    },
  );
  const connectionId = created.createConnection.id;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "bob@example.com", groups: ["billing"] }) { id } }',
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["billing"], operations: ["read"] }) { id } }',
    { c: connectionId },
  );
  await admin(
    'mutation { createMaskingRule(input: { name: "relay emails", dialect: "http", spec: { columns: ["email"], style: "redact" } }) { id } }',
  );
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  token = minted.mintConnectionCredential.password;
}, 180_000);

afterAll(async () => {
  await replica?.process.stop();
  await stack?.stop();
  await upstream?.stop();
});

const through = (port: number, path: string) => [
  '--cacert',
  relayTls.certFile,
  '--resolve',
  `localhost:${port}:127.0.0.1`,
  `https://localhost:${port}/c/billing-api${path}`,
];

/** Retries while the agent has not yet received the snapshot naming the connection and the rule. */
async function whenReady(args: string[], ready: (status: number, body: string) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await curl(args);
    if (ready(result.status, result.body) || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const masked = (status: number, body: string) => status === 200 && body.includes('"email":"********"');

describe('http through the relay', () => {
  test('TLS with the relay’s certificate, the bearer credential checked, the token injected, the answer masked', async () => {
    const result = await whenReady(['-H', `Authorization: Bearer ${token}`, ...through(relayPort, '/users/7')], masked);
    expect(result.status).toBe(200);
    const doc = JSON.parse(result.body) as { email: string; name: string };
    expect(doc).toMatchObject({ email: '********', name: 'Ada Lovelace' });
    const seen = upstream.seen.filter((r) => r.url === '/users/7').at(-1)!;
    expect(seen.headers['authorization']).toBe('Bearer upstream-token-7');
    expect(JSON.stringify(seen.headers)).not.toContain(token);
  });

  test('a kept-alive client connection carries several requests', async () => {
    const result = await curl([
      '-H',
      `Authorization: Bearer ${token}`,
      ...through(relayPort, '/echo/one'),
      `https://localhost:${relayPort}/c/billing-api/echo/two`,
    ]);
    expect(result.status).toBe(200);
    // One TLS connection for both (curl reuses it), each request forwarded on its own.
    expect(result.headers.match(/^HTTP\/1\.1 200/gm)).toHaveLength(2);
    expect(upstream.seen.some((r) => r.url === '/echo/one')).toBe(true);
    expect(upstream.seen.some((r) => r.url === '/echo/two')).toBe(true);
  });

  test('Basic user:credential works too', async () => {
    const result = await curl(['-u', `bob@example.com:${token}`, ...through(relayPort, '/users/8')]);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).email).toBe('********');
  });

  test('the header and the cookie the connection names carry the credential through the relay too', async () => {
    const header = await curl(['-H', `X-Postern-Token: ${token}`, ...through(relayPort, '/users/21')]);
    expect(header.status).toBe(200);
    expect(JSON.parse(header.body).email).toBe('********');
    const cookie = await curl([
      '-H',
      `Cookie: theme=dark; postern=${encodeURIComponent(token)}`,
      ...through(relayPort, '/users/22'),
    ]);
    expect(cookie.status).toBe(200);
    expect(JSON.parse(cookie.body).email).toBe('********');
    for (const url of ['/users/21', '/users/22']) {
      const seen = upstream.seen.filter((r) => r.url === url).at(-1)!;
      expect(seen.headers['authorization']).toBe('Bearer upstream-token-7');
      expect(JSON.stringify(seen.headers)).not.toContain(token);
    }
    expect(upstream.seen.find((r) => r.url === '/users/22')!.headers['cookie']).toBe('theme=dark');
    // A wrong value there is refused by the relay as a wrong bearer token is.
    const wrong = await curl(['-H', 'X-Postern-Token: not-a-credential', ...through(relayPort, '/users/23')]);
    expect(wrong.status).toBe(401);
  });

  test('a wrong or missing credential is refused by the relay with 401 and a challenge; no path prefix → 404', async () => {
    const before = upstream.seen.length;
    const wrong = await curl([
      '-H',
      `Authorization: Bearer ${token.slice(0, -4)}AAAA`,
      ...through(relayPort, '/users/9'),
    ]);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.toLowerCase()).toContain('www-authenticate: bearer');
    const missing = await curl(through(relayPort, '/users/9'));
    expect(missing.status).toBe(401);
    const unnamed = await curl([
      '-H',
      `Authorization: Bearer ${token}`,
      '--cacert',
      relayTls.certFile,
      '--resolve',
      `localhost:${relayPort}:127.0.0.1`,
      `https://localhost:${relayPort}/users/9`,
    ]);
    expect(unnamed.status).toBe(404);
    expect(JSON.parse(unnamed.body).type).toBe('urn:postern:unknown-connection');
    expect(upstream.seen.length).toBe(before);
  });

  test('an unknown connection is refused like a known one the credential is not for', async () => {
    const result = await curl([
      '-H',
      `Authorization: Bearer ${token}`,
      '--cacert',
      relayTls.certFile,
      '--resolve',
      `localhost:${relayPort}:127.0.0.1`,
      `https://localhost:${relayPort}/c/no-such-api/users/1`,
    ]);
    expect(result.status).toBe(401);
  });

  test('a replica holding no agent stream forwards over the internal link', async () => {
    const result = await whenReady(
      ['-H', `Authorization: Bearer ${token}`, ...through(replicaRelayPort, '/users/11')],
      masked,
    );
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).email).toBe('********');
    expect(upstream.seen.some((r) => r.url === '/users/11')).toBe(true);
  });
});
