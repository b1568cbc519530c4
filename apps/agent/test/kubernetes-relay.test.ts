// Kubernetes through the control plane's relay: the real kubectl reaches the relay's HTTP front
// door over TLS (the relay's own certificate, embedded in the kubeconfig as `postern kubeconfig`
// writes it), names the connection by the path prefix /k8s/<connection>/ and sends a minted
// connection credential as its bearer token. The relay checks it before asking the agent for
// anything and replays the bytes to the agent's Kubernetes engine over the relay data connection
// (the agent has no local Kubernetes listener at all); the engine authenticates every request
// again, applies the rules, impersonates the identity and masks Secrets. The target is libs/testing's
// stand-in API server: a real kube-apiserver cannot run on these machines (no container engine,
// no API server binary).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { createServer, request as plainRequest } from 'node:http';
import { Agent, request } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { MASKED_BASE64 } from '@postern/policy-kubernetes';
import {
  seedStandIn,
  startControlPlane,
  startRelayStack,
  startStandInApiServer,
  waitFor,
  type RelayStack,
  type StandInApiServer,
} from '@postern/testing';
import { kubectl, portForward, writeKubeconfig } from './kubernetes-harness.js';

const SA_TOKEN = 'relay-service-account-token';
const SECRET_VALUE = Buffer.from('hunter2-db-password').toString('base64');
let apiServer: StandInApiServer;
let relay: RelayStack;
let relayPort: number;
let token: string;
let kubeconfig: string;

beforeAll(async () => {
  [apiServer, relay] = await Promise.all([
    startStandInApiServer({ token: SA_TOKEN }),
    startRelayStack({ name: 'kubernetes-relay', protocols: ['http'] }),
  ]);
  seedStandIn(apiServer.store);
  relayPort = relay.ports['http']!;
  const dir = relay.relayTls.dir;
  const tokenFile = join(dir, 'sa-token');
  const caFile = join(dir, 'apiserver-ca.crt');
  writeFileSync(tokenFile, SA_TOKEN, { mode: 0o600 });
  writeFileSync(caFile, apiServer.ca);
  // Before the connection exists: no snapshot ever has the connection without its guardrail.
  await relay.admin(
    'mutation { createGuardrail(input: { name: "no deleting pods", dialect: "kubernetes", match: { statementKinds: ["DELETE"], relations: ["pods"] } }) { id } }',
  );
  // No POSTERN_AGENT_KUBERNETES_LISTEN, no ingress certificate: the relay is the only way in.
  const agent = await relay.stack.enrollAgent('kube-relay-agent', {
    POSTERN_AGENT_SECRET_ALLOW: `file:${tokenFile},file:${caFile}`,
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${new URL(apiServer.url).port}`,
  });
  const created = await relay.admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'prod-cluster',
        protocol: 'KUBERNETES',
        agentId: agent.id,
        url: apiServer.url,
        secretRef: `file:${tokenFile}`,
        tlsCaRef: `file:${caFile}`,
      },
    },
  );
  const connectionId = created.createConnection.id;
  const user = await relay.admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "alice@example.com", groups: ["engineers"] }) { id } }',
  );
  await relay.admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["read", "write", "exec"] }) { id } }',
    { c: connectionId },
  );
  const minted = await relay.admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  token = minted.mintConnectionCredential.password;
  kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), {
    server: `https://localhost:${relayPort}/k8s/prod-cluster`,
    caPem: relay.relayTls.cert,
    token,
  });
  // The agent learns the connection and the access rule from its next policy snapshot.
  await waitFor(
    async () => {
      const result = await kubectl(kubeconfig, ['get', 'namespaces']);
      return result.code === 0 ? result : undefined;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'the agent serving prod-cluster with its guardrail, through the relay',
    },
  );
}, 180_000);

afterAll(async () => {
  await relay?.stack.stop();
  await apiServer?.close();
});

describe('kubectl through the relay', () => {
  test('the gateway lists kubernetes at the HTTP door (where `postern kubeconfig` points kubectl)', async () => {
    const { gateway } = await relay.admin<{ gateway: { relays: { protocol: string; port: number; tls: boolean }[] } }>(
      '{ gateway { relays { protocol port tls } } }',
    );
    expect(gateway.relays).toContainEqual({ protocol: 'kubernetes', port: relayPort, tls: true });
    expect(gateway.relays).toContainEqual({ protocol: 'http', port: relayPort, tls: true });
  });

  test('get pods: every request of the kept-alive connection checked by the agent and impersonated', async () => {
    const before = apiServer.requests.length;
    const pods = await kubectl(kubeconfig, ['get', 'pods']);
    expect(pods.code).toBe(0);
    expect(pods.stdout).toMatch(/web-0\s+1\/1\s+Running/);
    const seen = apiServer.requests.slice(before);
    expect(seen.some((r) => r.path === '/api/v1/namespaces/prod/pods')).toBe(true);
    // The relay read only the first request's head; the agent parsed (and impersonated) them all.
    expect(seen.every((r) => r.impersonateUser === 'alice@example.com')).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(token);
  }, 60_000);

  test('a refused verb: a 403 Status naming the rule, nothing reaches the API server', async () => {
    const result = await kubectl(kubeconfig, ['delete', 'pod', 'web-0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toContain('blocked by rule "no deleting pods"');
    expect(apiServer.requests.some((r) => r.method === 'DELETE')).toBe(false);
    expect(apiServer.store.get('/pods', 'prod', 'web-0')).toBeDefined();
  }, 60_000);

  test('exec with stdin and the exit code (the WebSocket upgrade passes through the relay)', async () => {
    const cat = await kubectl(kubeconfig, ['exec', '-i', 'web-0', '--', 'cat'], { input: 'hello through the relay\n' });
    expect(cat.code).toBe(0);
    expect(cat.stdout).toBe('hello through the relay\n');
    const failing = await kubectl(kubeconfig, ['exec', 'web-0', '--', 'sh', '-c', 'echo about to fail; exit 3']);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toBe('about to fail\n');
  }, 60_000);

  test('port-forward: the tunnel WebSocket passes through the relay to a real server behind the pod port', async () => {
    const service = createServer((_request, response) => response.end('hello from the pod, via the relay\n'));
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = service.address() as AddressInfo;
      apiServer.exposePort('prod', 'web-0', 8080, { host: '127.0.0.1', port });
      const forward = await portForward(kubeconfig, ['pod/web-0', '0:8080']);
      try {
        const answer = await fetch(`http://127.0.0.1:${forward.port}/`);
        expect(await answer.text()).toBe('hello from the pod, via the relay\n');
      } finally {
        await forward.stop();
      }
      expect(apiServer.requests.filter((r) => r.path.endsWith('/portforward'))).toContainEqual(
        expect.objectContaining({ method: 'GET', status: 101, impersonateUser: 'alice@example.com' }),
      );
    } finally {
      await new Promise<void>((resolve) => service.close(() => resolve()));
    }
  }, 60_000);

  test('Secret values are masked in -o yaml and -o json', async () => {
    const yaml = await kubectl(kubeconfig, ['get', 'secret', 'db', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain(`password: ${MASKED_BASE64}`);
    expect(yaml.stdout).not.toContain(SECRET_VALUE);
    const json = await kubectl(kubeconfig, ['get', 'secret', 'db', '-o', 'json']);
    expect(JSON.parse(json.stdout).data).toEqual({ password: MASKED_BASE64 });
    expect(apiServer.store.get('/secrets', 'prod', 'db')?.['data']).toEqual({ password: SECRET_VALUE });
  }, 60_000);

  test('a wrong credential is refused by the relay in Kubernetes words, before any agent', async () => {
    const before = apiServer.requests.length;
    const wrong = writeKubeconfig(join(relay.relayTls.dir, 'kubeconfig-wrong'), {
      server: `https://localhost:${relayPort}/k8s/prod-cluster`,
      caPem: relay.relayTls.cert,
      token: `${token.slice(0, -4)}AAAA`,
    });
    const result = await kubectl(wrong, ['get', 'pods']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('You must be logged in to the server');
    expect(apiServer.requests.length).toBe(before);
  }, 60_000);

  test('one TLS connection: a request, then an exec upgrade on the same kept-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: relay.relayTls.cert, servername: 'localhost' });
    try {
      const base = `https://localhost:${relayPort}/k8s/prod-cluster/api/v1/namespaces/prod/pods`;
      const headers = { authorization: `Bearer ${token}`, host: `localhost:${relayPort}` };
      const first = await new Promise<{ status: number; body: string; socket: Socket }>((resolve, reject) => {
        const req = request(base, { agent, headers: { ...headers, accept: 'application/json' } }, (res) => {
          const socket = res.socket; // nulled once the response ends and the socket is pooled
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), socket }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body).items.map((p: { metadata: { name: string } }) => p.metadata.name)).toContain(
        'web-0',
      );
      // Free again in the agent's pool: the upgrade goes out on the very same TLS connection.
      await waitFor(() => agent.freeSockets[Object.keys(agent.freeSockets)[0] ?? '']?.length === 1, {
        timeoutMs: 5_000,
        what: 'the kept-alive connection back in the pool',
      });
      const ws = new WebSocket(
        `wss://localhost:${relayPort}/k8s/prod-cluster/api/v1/namespaces/prod/pods/web-0/exec?command=echo&command=kept&command=alive&stdout=true`,
        ['v5.channel.k8s.io'],
        {
          agent,
          headers,
        },
      );
      const upgraded = new Promise<Socket>((resolve) =>
        ws.once('upgrade', (res: IncomingMessage) => resolve(res.socket)),
      );
      const messages: Buffer[] = [];
      ws.on('message', (data: Buffer) => messages.push(Buffer.from(data)));
      const closed = new Promise<void>((resolve, reject) => {
        ws.once('close', () => resolve());
        ws.once('error', reject);
      });
      expect(await upgraded).toBe(first.socket);
      await closed;
      const stdout = messages
        .filter((m) => m[0] === 1)
        .map((m) => m.subarray(1).toString())
        .join('');
      expect(stdout).toBe('kept alive\n');
      const status = messages.find((m) => m[0] === 3);
      expect(JSON.parse(status!.subarray(1).toString()).status).toBe('Success');
    } finally {
      agent.destroy();
    }
  }, 60_000);

  test('a replica holding no agent stream forwards a kubectl client over the internal link', async () => {
    const replica = await startControlPlane({
      databaseUrl: relay.stack.database.url,
      redisPrefix: relay.redisPrefix,
      adminToken: relay.stack.cp.adminToken,
      env: { ...relay.env, POSTERN_INSTANCE_ID: 'kubernetes-relay-replica' },
    });
    try {
      const port = Number((await replica.process.waitForMessage('http relay listening'))['port']);
      const through = writeKubeconfig(join(relay.relayTls.dir, 'kubeconfig-replica'), {
        server: `https://localhost:${port}/k8s/prod-cluster`,
        caPem: relay.relayTls.cert,
        token,
      });
      const cat = await kubectl(through, ['exec', '-i', 'web-0', '--', 'cat'], { input: 'via the other replica\n' });
      expect(cat.code).toBe(0);
      expect(cat.stdout).toBe('via the other replica\n');
      const pods = await kubectl(through, ['get', 'pods']);
      expect(pods.stdout).toMatch(/web-0\s+1\/1\s+Running/);
    } finally {
      await replica.process.stop();
    }
  }, 120_000);

  test("in clear only when relayed: an agent's own listener without a certificate still refuses", async () => {
    const local = await relay.stack.enrollAgent('kube-local-agent', {
      POSTERN_AGENT_KUBERNETES_LISTEN: '127.0.0.1:0',
    });
    const port = Number((await local.process.waitForMessage('local ingress listening'))['port']);
    const before = apiServer.requests.length;
    // The engine answers a 400 Status and closes at once, before it reads the request, so the
    // client may see the reset instead of the answer: either way it is refused.
    const answer = await new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = plainRequest(
        `http://127.0.0.1:${port}/k8s/prod-cluster/api/v1/namespaces/prod/pods`,
        { headers: { authorization: `Bearer ${token}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
          res.on('error', (error) => resolve({ error: error.message }));
        },
      );
      req.on('error', (error) => resolve({ error: error.message }));
      req.end();
    });
    if ('status' in answer) {
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).message).toContain('no TLS certificate');
    } else {
      expect(answer.error).toMatch(/ECONNRESET|socket hang up/);
    }
    expect(apiServer.requests.length).toBe(before);
  }, 60_000);
});
