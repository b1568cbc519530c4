// Review notifications and live subscriptions against the built control plane: webhook and Slack
// receivers are node:http servers of this test (one fails twice, one is down until it recovers),
// a raw agent holds commands and ships recording chunks, people from the real OIDC provider
// subscribe over graphql-ws and decide over GraphQL.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { chainHash, chainSeed } from '@postern/contracts';
import { agentV1, type RecordingAck__Output } from '@postern/proto';
import {
  createTestDatabase,
  graphql,
  queryDatabase,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type GraphqlResponse,
  type TestDatabase,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { accessTokenFor, devIdpEnv } from './support/oidc-login.js';
import { DELIVERY_FAILED } from '../src/notifications/notification.types.js';
import { RawAgent, createConnection, type PrincipalSpec } from './support/raw-agent.js';

const DASHBOARD = 'https://postern.example.com';

// ---------- receivers ----------

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** An HTTP receiver answering the n-th request (from 1) with `statusFor(n)`. */
class Receiver {
  readonly requests: Received[] = [];

  private constructor(
    private readonly server: Server,
    public statusFor: (n: number) => number,
  ) {}

  static async start(statusFor: (n: number) => number): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server, statusFor);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const status = receiver.statusFor(receiver.requests.length + 1);
        receiver.requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a receiver does with the documented scheme: HMAC over "<timestamp>.<body>", constant time. */
function verified(secret: string, request: Received): boolean {
  const timestamp = Number(request.headers['x-postern-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`,
  );
  const given = Buffer.from(String(request.headers['x-postern-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// ---------- GraphQL over WebSocket ----------

interface Feed<T> {
  items: T[];
  errors: Array<{ message: string; extensions?: { code?: string } }>;
  done: boolean;
  dispose: () => void;
}

/** A graphql-ws client closed after the tests. */
function wsClient(token: string, closed?: (code: number) => void): Client {
  const client = createClient({
    url: cp.graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: { closed: (event) => closed?.((event as { code: number }).code) },
  });
  clients.push(client);
  return client;
}

function subscribe<T>(client: Client, query: string, variables: Record<string, unknown> = {}): Feed<T> {
  const feed: Feed<T> = { items: [], errors: [], done: false, dispose: () => undefined };
  feed.dispose = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) feed.errors.push(...(result.errors as Feed<T>['errors']));
        if (result.data) feed.items.push(...Object.values(result.data));
      },
      error: (error) => feed.errors.push(...(Array.isArray(error) ? error : [{ message: String(error) }])),
      complete: () => {
        feed.done = true;
      },
    },
  );
  return feed;
}

/** graphql-ws has no "subscribed" message: wait until the server holds the Redis subscription. */
async function subscribedOnRedis(topic: string): Promise<void> {
  const channel = `${cp.env['POSTERN_REDIS_PREFIX']}:live:${topic}`;
  await waitFor(async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) > 0, {
    what: `a subscriber on ${channel}`,
  });
}

// ---------- recordings ----------

function chunks(sessionId: string, events: Array<Array<Record<string, unknown>>>) {
  let prev = chainSeed(sessionId);
  return events.map((lines, seq) => {
    const data = Buffer.from(lines.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const final = seq === events.length - 1;
    prev = chainHash(prev, seq, final, data);
    return { sessionId, seq: String(seq), data, chainHash: prev, final };
  });
}

async function ship(chunk: ReturnType<typeof chunks>[number]): Promise<RecordingAck__Output> {
  const client = new (agentV1().Recording)(cp.grpcAddress, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${agent.credential}`);
  const call = client.Ship(metadata);
  const ack = await new Promise<RecordingAck__Output>((resolve, reject) => {
    call.on('data', resolve);
    call.on('error', reject);
    call.write(chunk);
  });
  call.end();
  client.close();
  return ack;
}

// ---------- the stack ----------

let idp: DevIdp;
let database: TestDatabase;
let cp: ControlPlaneHandle;
let redis: Redis;
let agent: RawAgent;
let ledger: string;
let other: string;
let ruleId: string;
let tokens: Record<'alice' | 'bob' | 'carol', string>;
let alice: PrincipalSpec;
let flaky: Receiver;
let down: Receiver;
let slack: Receiver;
let secrets: Record<'flaky' | 'down', string>;
let endpointIds: Record<'flaky' | 'down' | 'slack' | 'elsewhere', string>;
/** The review held in the first test; the others look at what it caused. */
let reviewId: string;
const clients: Client[] = [];

async function ok<T>(pending: Promise<GraphqlResponse<T>>): Promise<T> {
  const response = await pending;
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

async function createEndpoint(input: Record<string, unknown>): Promise<{ id: string; secret: string | null }> {
  const data = await ok(
    cp.admin<{ createNotificationEndpoint: { endpoint: { id: string }; signingSecret: string | null } }>(
      `mutation($input: CreateNotificationEndpointInput!) {
         createNotificationEndpoint(input: $input) { endpoint { id } signingSecret } }`,
      { input },
    ),
  );
  return { id: data.createNotificationEndpoint.endpoint.id, secret: data.createNotificationEndpoint.signingSecret };
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  retries: number;
  lastStatusCode: number | null;
  lastError: string | null;
  eventType: string;
  reviewId: string;
}
const DELIVERY_FIELDS = 'id status attempts retries lastStatusCode lastError eventType reviewId';

async function deliveries(endpointId: string, status?: string): Promise<Delivery[]> {
  const data = await ok(
    cp.admin<{ notificationDeliveries: Delivery[] }>(
      `query($e: ID, $s: NotificationDeliveryStatus) {
         notificationDeliveries(endpointId: $e, status: $s) { ${DELIVERY_FIELDS} } }`,
      { e: endpointId, s: status ?? null },
    ),
  );
  return data.notificationDeliveries;
}

beforeAll(async () => {
  [idp, database, flaky, down, slack] = await Promise.all([
    startDevIdp(),
    createTestDatabase('postern_notify'),
    Receiver.start((n) => (n <= 2 ? 500 : 200)),
    Receiver.start(() => 500),
    Receiver.start(() => 200),
  ]);
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: {
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      ...devIdpEnv(idp),
      POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
      POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
      POSTERN_DASHBOARD_URL: DASHBOARD,
      POSTERN_NOTIFICATIONS_ALLOW_HTTP: 'true',
      // The receivers listen on 127.0.0.1.
      POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS: 'true',
      POSTERN_NOTIFICATIONS_ATTEMPTS: '3',
      POSTERN_NOTIFICATIONS_BACKOFF_MS: '100',
    },
  });
  redis = new Redis('redis://127.0.0.1:6379');
  tokens = {
    alice: await accessTokenFor(idp, 'alice'),
    bob: await accessTokenFor(idp, 'bob'),
    carol: await accessTokenFor(idp, 'carol'),
  };
  const me = await ok(graphql<{ me: { id: string } }>(cp.graphqlUrl, '{ me { id } }', {}, tokens.alice));
  alice = { id: me.me.id, displayName: 'Alice Engineer', groups: ['engineers'], kind: 'KIND_USER' };
  agent = await RawAgent.start(cp, 'edge-notify');
  ledger = await createConnection(cp, 'ledger', agent.id);
  other = await createConnection(cp, 'elsewhere', agent.id);
  const rule = await ok(
    cp.admin<{ createApprovalRule: { id: string } }>(
      'mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }',
      {
        input: {
          name: 'deletes',
          connectionIds: [ledger],
          approverGroups: ['approvers', 'postern-admins'],
          match: { statementKinds: ['DELETE'] },
        },
      },
    ),
  );
  ruleId = rule.createApprovalRule.id;
  const created = {
    flaky: await createEndpoint({
      name: 'flaky hook',
      kind: 'WEBHOOK',
      url: flaky.url('/hooks/postern'),
      events: ['REVIEW_CREATED'],
      connectionIds: [ledger],
    }),
    down: await createEndpoint({ name: 'down hook', kind: 'WEBHOOK', url: down.url('/'), events: ['REVIEW_CREATED'] }),
    slack: await createEndpoint({ name: 'slack', kind: 'SLACK', url: slack.url('/services/T000/B000/s3cr3tPart') }),
    elsewhere: await createEndpoint({
      name: 'other connection',
      kind: 'WEBHOOK',
      url: flaky.url('/other'),
      connectionIds: [other],
    }),
  };
  secrets = { flaky: created.flaky.secret!, down: created.down.secret! };
  endpointIds = {
    flaky: created.flaky.id,
    down: created.down.id,
    slack: created.slack.id,
    elsewhere: created.elsewhere.id,
  };
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  agent?.close();
  redis?.disconnect();
  await cp?.process.stop();
  await Promise.all([idp?.close(), flaky?.close(), down?.close(), slack?.close()]);
  await database?.drop();
});

describe('review subscriptions (graphql-ws)', () => {
  test('an approver sees a held command appear and then its decision made by another approver', async () => {
    const bob = wsClient(tokens.bob);
    const created = subscribe<{ id: string; kind: string; status: string; command: string }>(
      bob,
      'subscription { reviewCreated { id kind status command connectionName } }',
    );
    const decided = subscribe<{ id: string; status: string; decisions: Array<{ userName: string }> }>(
      bob,
      'subscription { reviewDecided { id status decisions { userName approved } } }',
    );
    await subscribedOnRedis('review-created');
    await subscribedOnRedis('review-decided');

    const session = agent.openSession(ledger, alice);
    reviewId = randomUUID();
    agent.send({
      approvalRequest: {
        requestId: reviewId,
        sessionId: session,
        ruleId,
        command: 'DELETE FROM payments WHERE id = 7',
        requester: alice,
        timeoutSeconds: 300,
        connectionId: ledger,
        policyVersion: '1',
      },
    });
    const appeared = await waitFor(() => created.items.find((r) => r.id === reviewId), { what: 'reviewCreated' });
    expect(appeared).toMatchObject({
      kind: 'COMMAND',
      status: 'PENDING',
      command: 'DELETE FROM payments WHERE id = 7',
    });

    await ok(
      graphql(
        cp.graphqlUrl,
        'mutation($id: ID!) { approveReview(id: $id, comment: "ok") { status } }',
        { id: reviewId },
        tokens.carol,
      ),
    );
    const settled = await waitFor(() => decided.items.find((r) => r.id === reviewId), { what: 'reviewDecided' });
    expect(settled).toEqual({
      id: reviewId,
      status: 'APPROVED',
      decisions: [{ userName: 'carol@example.com', approved: true }],
    });
    expect(created.errors).toEqual([]);
  });

  test("a plain user's review subscription is refused; a bad token is refused at connection_init", async () => {
    const aliceClient = wsClient(tokens.alice);
    const refused = subscribe(aliceClient, 'subscription { reviewCreated { id } }');
    await waitFor(() => refused.done || refused.errors.length > 0, { what: 'the refusal' });
    expect(refused.errors[0]).toMatchObject({ extensions: { code: 'PERMISSION_DENIED' } });

    let closeCode = 0;
    const forged = wsClient('not-a-token', (code) => (closeCode = code));
    const nothing = subscribe(forged, 'subscription { reviewCreated { id } }');
    await waitFor(() => closeCode !== 0, { what: 'the socket to close' });
    expect(closeCode).toBe(4403);
    expect(nothing.items).toEqual([]);
  });
});

describe('webhook notifications (BullMQ)', () => {
  test('a receiver failing twice gets the same signed delivery three times and it is delivered once', async () => {
    await waitFor(() => flaky.requests.length >= 3, { what: 'three attempts at the flaky receiver' });
    const [first, second, third] = flaky.requests;
    expect([first!.status, second!.status, third!.status]).toEqual([500, 500, 200]);
    for (const request of [first!, second!, third!]) {
      expect(verified(secrets.flaky, request)).toBe(true);
      expect(verified(secrets.down, request)).toBe(false);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-postern-event']).toBe('review.created');
      expect(request.headers['x-postern-delivery']).toBe(first!.headers['x-postern-delivery']);
      expect(request.body).toBe(first!.body);
    }
    const body = JSON.parse(third!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'review.created',
      occurredAt: expect.any(String),
      dashboardUrl: `${DASHBOARD}/reviews/${reviewId}`,
      review: {
        id: reviewId,
        kind: 'COMMAND',
        status: 'PENDING',
        connection: { id: ledger, name: 'ledger' },
        requester: { id: alice.id, name: 'Alice Engineer' },
        command: 'DELETE FROM payments WHERE id = 7',
        ruleName: 'deletes',
        decisions: [],
      },
    });
    // Only review.created was asked for: the approval sent nothing more, and nothing is sent twice.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(flaky.requests).toHaveLength(3);
    expect(await deliveries(endpointIds.flaky)).toEqual([
      expect.objectContaining({
        id: first!.headers['x-postern-delivery'],
        status: 'DELIVERED',
        attempts: 3,
        lastStatusCode: 200,
        reviewId,
      }),
    ]);
    expect(await deliveries(endpointIds.elsewhere)).toEqual([]);
  });

  test('an always-failing receiver is dead-lettered, listed as FAILED, and a retry delivers it once it recovers', async () => {
    const failed = await waitFor(async () => (await deliveries(endpointIds.down, 'FAILED'))[0], {
      what: 'a dead-lettered delivery',
    });
    expect(failed).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      lastStatusCode: null,
      lastError: DELIVERY_FAILED,
      reviewId,
    });
    expect(down.requests).toHaveLength(3);
    expect(new Set(down.requests.map((r) => r.headers['x-postern-delivery']))).toEqual(new Set([failed.id]));
    const listed = await ok(
      cp.admin<{ notificationDeliveries: Array<{ id: string }> }>(
        '{ notificationDeliveries(status: FAILED) { id endpointName } }',
      ),
    );
    expect(listed.notificationDeliveries.map((d) => d.id)).toEqual([failed.id]);

    down.statusFor = () => 200;
    const retried = await ok(
      cp.admin<{ retryNotificationDelivery: Delivery }>(
        `mutation($id: ID!) { retryNotificationDelivery(id: $id) { ${DELIVERY_FIELDS} } }`,
        { id: failed.id },
      ),
    );
    expect(retried.retryNotificationDelivery).toMatchObject({ status: 'PENDING', retries: 1 });
    const delivered = await waitFor(async () => (await deliveries(endpointIds.down, 'DELIVERED'))[0], {
      what: 'the retried delivery',
    });
    expect(delivered).toMatchObject({ id: failed.id, attempts: 4, retries: 1, lastStatusCode: 200 });
    expect(down.requests).toHaveLength(4);
    expect(verified(secrets.down, down.requests[3]!)).toBe(true);
    expect(down.requests[3]!.headers['x-postern-delivery']).toBe(failed.id);

    const again = await cp.admin('mutation($id: ID!) { retryNotificationDelivery(id: $id) { id } }', { id: failed.id });
    expect(again.errors?.[0]?.extensions?.code).toBe('FAILED_PRECONDITION');
  });

  test('a Slack endpoint gets the summary with approve and reject links, its URL never shown', async () => {
    await waitFor(() => slack.requests.length >= 2, { what: 'created and approved messages at Slack' });
    const messages = slack.requests.map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[] });
    const created = messages.find((m) => m.text.includes('waits for approval'));
    const approved = messages.find((m) => m.text.includes('approved by'));
    expect(created!.text).toContain(`${DASHBOARD}/reviews/${reviewId}?decision=approve`);
    expect(created!.text).toContain(`${DASHBOARD}/reviews/${reviewId}?decision=reject`);
    expect(created!.text).toContain('Command review on ledger waits for approval');
    expect(JSON.stringify(created!.blocks)).toContain('DELETE FROM payments WHERE id = 7');
    expect(approved!.text).toContain('approved by carol@example.com');
    expect(slack.requests[0]!.headers['x-postern-signature']).toBeUndefined();

    const listed = await ok(
      cp.admin<{ notificationEndpoints: Array<{ name: string; url: string; kind: string }> }>(
        '{ notificationEndpoints { name kind url } }',
      ),
    );
    const shown = listed.notificationEndpoints.find((e) => e.name === 'slack');
    expect(shown).toMatchObject({ kind: 'SLACK', url: expect.not.stringContaining('s3cr3tPart') });
    expect(cp.process.logs.map((l) => JSON.stringify(l)).join('\n')).not.toMatch(/s3cr3tPart|postern_whsec_/);
  });

  test('endpoint URLs must be https unless allowed, and only admins manage endpoints', async () => {
    const plain = await graphql(cp.graphqlUrl, '{ notificationEndpoints { id } }', {}, tokens.bob);
    expect(plain.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');
    const bad = await cp.admin(
      'mutation { createNotificationEndpoint(input: { name: "x", kind: WEBHOOK, url: "ftp://example.com/" }) { signingSecret } }',
    );
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'INVALID_ARGUMENT' } });
  });
});

describe('webhook targets (SSRF)', () => {
  test('link-local and metadata addresses are refused even where private networks are allowed', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/',
      'http://100.100.100.200/latest/',
      'http://[::ffff:169.254.169.254]/',
      'http://0.0.0.0:8080/',
    ]) {
      const refused = await cp.admin(
        'mutation($u: String!) { createNotificationEndpoint(input: { name: "meta", kind: WEBHOOK, url: $u }) { signingSecret } }',
        { u: url },
      );
      expect(refused.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/link-local, metadata or reserved/),
        extensions: { code: 'INVALID_ARGUMENT' },
      });
    }
  });

  test('lastError is one generic message whatever answered: a closed port, a non-HTTP service, a dropped connection', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = netServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const banner = netServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const dropper = netServer((socket) => socket.destroy());
    const ports = await Promise.all(
      [banner, dropper].map(
        (server) =>
          new Promise<number>((resolve) =>
            server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
          ),
      ),
    );
    const targets = [closedPort, ...ports];
    const ids: string[] = [];
    for (const [i, port] of targets.entries()) {
      const created = await createEndpoint({
        name: `scan ${i}`,
        kind: 'WEBHOOK',
        url: `http://127.0.0.1:${port}/`,
        events: ['REVIEW_CREATED'],
      });
      ids.push(created.id);
    }
    const session = agent.openSession(ledger, alice);
    agent.send({
      approvalRequest: {
        requestId: randomUUID(),
        sessionId: session,
        ruleId,
        command: 'DELETE FROM payments WHERE id = 8',
        requester: alice,
        timeoutSeconds: 300,
        connectionId: ledger,
        policyVersion: '1',
      },
    });
    const failed = await Promise.all(
      ids.map((id) => waitFor(async () => (await deliveries(id, 'FAILED'))[0], { what: 'a dead-lettered delivery' })),
    );
    for (const delivery of failed) {
      expect(delivery).toMatchObject({ lastError: DELIVERY_FAILED, lastStatusCode: null });
    }
    // The detail is for operators, in the log.
    const reasons = cp.process.logs
      .filter((l) => l.msg === 'notification failed; dead-lettered' && ids.includes(String(l['endpointId'])))
      .map((l) => String(l['error']));
    expect(new Set(reasons).size).toBeGreaterThan(1);
    agent.closeSession(session);
    // Not awaited: close() waits for sockets the control plane may keep half-open.
    for (const server of [banner, dropper]) server.close();
  });
});

describe('webhook targets: private networks refused by default', () => {
  test('a name re-pointed to a private address after creation is refused at delivery (DNS rebinding)', async () => {
    const strictDatabase = await createTestDatabase('postern_notify_strict');
    const strict = await startControlPlane({
      databaseUrl: strictDatabase.url,
      env: {
        POSTERN_RELAY_POSTGRES_PORT: 'off',
        POSTERN_NOTIFICATIONS_ALLOW_HTTP: 'true',
        POSTERN_NOTIFICATIONS_ATTEMPTS: '1',
        POSTERN_NOTIFICATIONS_BACKOFF_MS: '100',
      },
    });
    const receiver = await Receiver.start(() => 200);
    try {
      const local = await strict.admin(
        'mutation($u: String!) { createNotificationEndpoint(input: { name: "local", kind: WEBHOOK, url: $u }) { signingSecret } }',
        { u: receiver.url('/') },
      );
      expect(local.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/private or loopback/),
        extensions: { code: 'INVALID_ARGUMENT' },
      });
      // Created while the name pointed elsewhere (public), then re-pointed at the receiver: the
      // row is written as the creation check would have let it through.
      const created = await strict.admin<{ createNotificationEndpoint: { endpoint: { id: string } } }>(
        'mutation { createNotificationEndpoint(input: { name: "rebound", kind: WEBHOOK, url: "https://example.invalid/hook" }) { endpoint { id } } }',
      );
      const endpointId = created.data!.createNotificationEndpoint.endpoint.id;
      const rebound = receiver.url('/').replace('127.0.0.1', 'localhost');
      await queryDatabase(strictDatabase.url, 'UPDATE notification_endpoints SET url = $1 WHERE id = $2', [
        rebound,
        endpointId,
      ]);
      const raw = await RawAgent.start(strict, 'edge-strict');
      try {
        const connection = await createConnection(strict, 'strict-db', raw.id);
        const rule = await strict.admin<{ createApprovalRule: { id: string } }>(
          'mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }',
          {
            input: {
              name: 'd',
              connectionIds: [connection],
              approverGroups: ['approvers'],
              match: { statementKinds: ['DELETE'] },
            },
          },
        );
        const session = raw.openSession(connection, alice);
        raw.send({
          approvalRequest: {
            requestId: randomUUID(),
            sessionId: session,
            ruleId: rule.data!.createApprovalRule.id,
            command: 'DELETE FROM t WHERE id = 1',
            requester: alice,
            timeoutSeconds: 300,
            connectionId: connection,
            policyVersion: '1',
          },
        });
        const failed = await strict.process.waitForLog(
          (l) => l.msg === 'notification failed; dead-lettered' && l['endpointId'] === endpointId,
        );
        expect(String(failed['error'])).toMatch(/address refused: a private or loopback address/);
        expect(receiver.requests).toHaveLength(0);
      } finally {
        raw.close();
      }
    } finally {
      await strict.process.stop();
      await receiver.close();
      await strictDatabase.drop();
    }
  });
});

describe('live session tail', () => {
  test("the session's principal tails the events of shipped chunks; others may not", async () => {
    const session = agent.openSession(ledger, alice);
    await agent.sync();
    const tail = subscribe<{ seq: number; index: number; type: string; json: string }>(
      wsClient(tokens.alice),
      'subscription($id: ID!) { sessionEvents(sessionId: $id) { seq index type json at } }',
      { id: session },
    );
    const outsider = subscribe(
      wsClient(tokens.bob),
      'subscription($id: ID!) { sessionEvents(sessionId: $id) { seq } }',
      { id: session },
    );
    await subscribedOnRedis(`session-events:${session}`);
    await waitFor(() => outsider.errors.length > 0, { what: "the outsider's refusal" });
    expect(outsider.errors[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });

    const recording = chunks(session, [
      [
        { at: 1_700_000_000_000, type: 'session.start' },
        { at: 1_700_000_000_001, type: 'statement', sql: 'select 1' },
      ],
      [{ at: 1_700_000_000_002, type: 'session.end' }],
    ]);
    expect(await ship(recording[0]!)).toMatchObject({ committed: true });
    await waitFor(() => tail.items.length >= 2, { what: 'the first chunk’s events' });
    expect(tail.items.map((e) => [e.seq, e.index, e.type])).toEqual([
      [0, 0, 'session.start'],
      [0, 1, 'statement'],
    ]);
    expect(JSON.parse(tail.items[1]!.json)).toMatchObject({ sql: 'select 1' });

    expect(await ship(recording[1]!)).toMatchObject({ committed: true });
    await waitFor(() => tail.done, { what: 'the tail to end after the final chunk' });
    expect(tail.items.map((e) => e.type)).toEqual(['session.start', 'statement', 'session.end']);
    expect(tail.errors).toEqual([]);
    // The ended tail released the replica's Redis subscription.
    const channel = `${cp.env['POSTERN_REDIS_PREFIX']}:live:session-events:${session}`;
    await waitFor(async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) === 0, {
      what: 'the Redis subscription to end',
    });
  });
});
