// OIDC sign-in end to end with real processes: the development IdP (the real `oidc-provider`),
// the built control plane, and the built `postern` CLI. The "browser" is fetch with a cookie jar
// that walks oidc-provider's development login and consent pages.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  ManagedProcess,
  REPO_ROOT,
  ScriptedBrowser,
  createTestDatabase,
  type Page,
  freePort,
  queryDatabase,
  startAgent,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';

const AUDIENCE = 'urn:postern:gateway';
const CLI_MAIN = `${REPO_ROOT}apps/cli/dist/main.js`;
const ME = '{ me { id kind roles groups user { issuer subject email displayName groups } } }';
const CREATE_AGENT = 'mutation($name: String!) { createAgent(input: { name: $name }) { agent { id name } } }';

interface IdpInfo {
  issuer: string;
  clients: {
    dashboard: { clientId: string; clientSecret: string };
    machine: { clientId: string; clientSecret: string };
  };
}

let workDir: string;
let database: TestDatabase;
let idpProcess: ManagedProcess;
let idp: IdpInfo;
let cp: ControlPlaneHandle;
let noOidc: ControlPlaneHandle;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'postern-oidc-'));
  database = await createTestDatabase('postern_oidc');
  // The control plane must listen on a port known in advance: the IdP only redirects to
  // registered redirect URIs.
  const httpPort = await freePort();
  const redirectUrl = `http://127.0.0.1:${httpPort}/auth/callback`;
  idpProcess = await startIdp(redirectUrl);
  // The first suites of a run start while both cores compile tests: the IdP's module graph
  // (oidc-provider) may load slowly then. The wait ends as soon as it listens.
  const listening = await idpProcess.waitForMessage('dev idp listening', 100_000);
  idp = listening as unknown as IdpInfo;
  [cp, noOidc] = await Promise.all([
    startControlPlane({
      databaseUrl: database.url,
      env: {
        POSTERN_HTTP_PORT: String(httpPort),
        POSTERN_RELAY_POSTGRES_PORT: 'off',
        POSTERN_OIDC_ISSUER: idp.issuer,
        POSTERN_OIDC_CLIENT_ID: idp.clients.dashboard.clientId,
        POSTERN_OIDC_CLIENT_SECRET: idp.clients.dashboard.clientSecret,
        POSTERN_OIDC_AUDIENCE: AUDIENCE,
        POSTERN_OIDC_REDIRECT_URL: redirectUrl,
        POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
        POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
        POSTERN_JIT_MIN_GRANT_SECONDS: '2',
      },
    }),
    startControlPlane({ databaseUrl: database.url, env: { POSTERN_RELAY_POSTGRES_PORT: 'off' } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([cp?.process.stop(), noOidc?.process.stop(), idpProcess?.stop()]);
  await database?.drop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('dashboard sign-in (authorization code + PKCE)', () => {
  test('alice signs in through the IdP pages; the session cookie makes her `me` with her IdP groups', async () => {
    const browser = new ScriptedBrowser();
    const callback = await browser.signInAt(`${cp.httpUrl}/auth/login?redirect=/connections%3Fview%3Dmine`, 'alice');
    expect(callback.searchParams.get('code')).toBeTruthy();

    const landed = await browser.request('GET', callback.href);
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/connections?view=mine');
    const setCookie = landed.headers.getSetCookie().find((c) => c.startsWith('postern_session='));
    // Max-Age follows the access token's 300 s lifetime; plain http on loopback: no Secure.
    expect(setCookie).toMatch(/; Path=\/; Max-Age=(2[0-9]{2}|300); HttpOnly; SameSite=Lax$/);
    const session = browser.jar.get(cp.httpUrl, 'postern_session')!;
    expect(session.split('.')).toHaveLength(3);
    expect(browser.jar.get(cp.httpUrl, 'postern_sign_in')).toBeUndefined();

    const me = await gql<{ me: Me }>(ME, {}, { cookie: `postern_session=${session}` });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toMatchObject({
      kind: 'user',
      roles: ['user'],
      groups: ['engineers'],
      user: { issuer: idp.issuer, subject: 'alice', email: 'alice@example.com' },
    });

    const rows = await queryDatabase<{ issuer: string; subject: string; group: string; source: string }>(
      database.url,
      `SELECT u.issuer, u.subject, g.name AS "group", m.source::text AS source
         FROM users u JOIN memberships m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id
        WHERE u.subject = 'alice'`,
    );
    expect(rows).toEqual([{ issuer: idp.issuer, subject: 'alice', group: 'engineers', source: 'IDP' }]);
    const audit = await queryDatabase(database.url, `SELECT 1 FROM audit_events WHERE kind = 'user.signed_in'`);
    expect(audit.length).toBeGreaterThan(0);
    expect(cp.process.output()).not.toContain(session);
    expect(cp.process.output()).not.toContain(callback.searchParams.get('code')!);

    const logout = await browser.request('POST', `${cp.httpUrl}/auth/logout`);
    expect(logout.status).toBe(204);
    expect(browser.jar.get(cp.httpUrl, 'postern_session')).toBeUndefined();
  });

  test('a redirect to another site after sign-in is replaced by /', async () => {
    const browser = new ScriptedBrowser();
    const callback = await browser.signInAt(`${cp.httpUrl}/auth/login?redirect=//evil.example/x`, 'alice');
    const landed = await browser.request('GET', callback.href);
    expect(landed.headers.get('location')).toBe('/');
  });

  test('a tampered state, a tampered or missing transaction cookie and a replayed callback are refused with 400', async () => {
    const browser = new ScriptedBrowser();
    const callback = await browser.signInAt(`${cp.httpUrl}/auth/login`, 'alice');
    const transaction = browser.jar.get(cp.httpUrl, 'postern_sign_in')!;

    const badState = new URL(callback);
    badState.searchParams.set('state', 'attacker-chosen');
    await expectRefused(browser.request('GET', badState.href), /state mismatch/);

    browser.jar.set(cp.httpUrl, 'postern_sign_in', `${transaction.slice(0, -4)}AAAA`);
    await expectRefused(browser.request('GET', callback.href), /invalid or expired/);
    await expectRefused(browser.request('GET', callback.href), /no sign-in is in progress/);

    // The genuine response, once, then replayed with the very same cookie.
    browser.jar.set(cp.httpUrl, 'postern_sign_in', transaction);
    expect((await browser.request('GET', callback.href)).status).toBe(303);
    browser.jar.set(cp.httpUrl, 'postern_sign_in', transaction);
    await expectRefused(browser.request('GET', callback.href), /already used/);

    const denied = new URL(`${cp.httpUrl}/auth/callback?error=access_denied&error_description=End-User+aborted`);
    await expectRefused(browser.request('GET', denied.href), /refused the sign-in: access_denied \(End-User aborted\)/);
  });

  test('without OIDC configured the sign-in routes answer 404', async () => {
    for (const [method, path] of [
      ['GET', '/auth/login'],
      ['GET', '/auth/callback?code=x&state=y'],
      ['POST', '/auth/logout'],
    ] as const) {
      const response = await fetch(`${noOidc.httpUrl}${path}`, { method, redirect: 'manual' });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ message: expect.stringMatching(/not configured/) });
    }
  });
});

describe('sign-out', () => {
  /** A graphql-ws connection with this credential; resolves how it ended (close code). */
  function openSocket(credential: { bearer?: string; cookie?: string }) {
    let connected!: () => void;
    let closed!: (code: number) => void;
    const state = {
      connected: new Promise<void>((resolve) => (connected = resolve)),
      closed: new Promise<number>((resolve) => (closed = resolve)),
    };
    const client = createClient({
      url: cp.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: credential.cookie
        ? class extends WebSocket {
            constructor(url: string, protocols: string[]) {
              super(url, protocols, { headers: { cookie: credential.cookie! } });
            }
          }
        : WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: credential.bearer ? { authorization: `Bearer ${credential.bearer}` } : {},
      on: { connected: () => connected(), closed: (event) => closed((event as { code: number }).code) },
      onNonLazyError: () => undefined,
    });
    return { ...state, dispose: () => client.dispose() };
  }

  test('logout ends the session on the server: its cookie and token are refused over HTTP and WebSocket, open sockets close', async () => {
    const browser = new ScriptedBrowser();
    const callback = await browser.signInAt(`${cp.httpUrl}/auth/login`, 'alice');
    expect((await browser.request('GET', callback.href)).status).toBe(303);
    const token = browser.jar.get(cp.httpUrl, 'postern_session')!;
    const cookie = `postern_session=${token}`;
    expect((await gql(ME, {}, { cookie })).errors).toBeUndefined();
    const socket = openSocket({ cookie });
    await socket.connected;
    const signOuts = `SELECT 1 FROM audit_events WHERE kind = 'user.signed_out'`;
    const before = (await queryDatabase(database.url, signOuts)).length;

    const logout = await browser.request('POST', `${cp.httpUrl}/auth/logout`);
    expect(logout.status).toBe(204);
    expect(browser.jar.get(cp.httpUrl, 'postern_session')).toBeUndefined();

    // The open WebSocket is closed (4401), and the token is no good anywhere any more.
    expect(await socket.closed).toBe(4401);
    for (const credential of [{ cookie }, { bearer: token }]) {
      const refused = await gql(ME, {}, credential);
      expect(refused.errors?.[0]).toMatchObject({
        message: 'session ended: sign in again',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
    const again = openSocket({ bearer: token });
    expect(await again.closed).toBe(4403);
    again.dispose();
    socket.dispose();

    expect(await queryDatabase(database.url, signOuts)).toHaveLength(before + 1);
    // Another sign-in of the same person is a new session, unaffected.
    const fresh = await sessionFor('alice');
    expect((await gql(ME, {}, { cookie: `postern_session=${fresh}` })).errors).toBeUndefined();
  });
});

describe('roles from IdP groups', () => {
  test('alice (no admin group) may not create an agent; carol (postern-admins) may', async () => {
    const alice = await sessionFor('alice');
    const refused = await gql(CREATE_AGENT, { name: 'from-alice' }, { cookie: `postern_session=${alice}` });
    expect(refused.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');

    const carol = await sessionFor('carol');
    const created = await gql<{ createAgent: { agent: { name: string } } }>(
      CREATE_AGENT,
      { name: 'from-carol' },
      { bearer: carol },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createAgent.agent.name).toBe('from-carol');
    const me = await gql<{ me: Me }>(ME, {}, { bearer: carol });
    expect(me.data!.me.roles).toEqual(['user', 'admin']);
  });
});

describe('machine identities (client credentials)', () => {
  test('a ci-runner token is admitted as a service with its groups; tampered or foreign-signed ones are not', async () => {
    const token = await clientCredentialsToken();
    const me = await gql<{ me: Me }>(ME, {}, { bearer: token });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toMatchObject({ kind: 'service', groups: ['ci-runners'], roles: ['user'], user: null });

    const [header, payload] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const escalated = Buffer.from(JSON.stringify({ ...claims, groups: ['postern-admins'] })).toString('base64url');
    const tampered = `${header}.${escalated}.${token.split('.')[2]}`;
    const foreign = signWithForeignKey(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')), {
      ...claims,
      groups: ['postern-admins'],
    });
    for (const forged of [tampered, foreign, 'not-a-token']) {
      const refused = await gql(CREATE_AGENT, { name: 'forged' }, { bearer: forged });
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('command line sign-in (device flow)', () => {
  test('postern login prints a code, bob confirms it at the IdP, whoami and token use the stored token', async () => {
    const configDir = join(workDir, 'bob');
    const env = { POSTERN_CONFIG_DIR: configDir };
    const login = new ManagedProcess('postern-login', CLI_MAIN, env, [
      'login',
      '--issuer',
      idp.issuer,
      '--api',
      cp.httpUrl,
    ]);
    const prompt = await waitFor(
      () => /open (\S+) and enter the code: (\S+)/.exec(login.stderr.join('')) ?? undefined,
      {
        timeoutMs: 10_000,
        what: `the device code (output: ${login.output()})`,
      },
    );
    const [, verificationUri, userCode] = prompt as unknown as [string, string, string];

    const browser = new ScriptedBrowser();
    const entry = await browser.navigate(verificationUri);
    const confirm = await browser.submit(entry, { user_code: userCode });
    expect(confirm.body).toContain(userCode);
    const done = await browser.completeInteractions(await browser.submit(confirm, {}), 'bob');
    expect(done.status).toBe(200);
    expect(done.body).toMatch(/Sign-in Success/);

    expect((await login.exit()).code).toBe(0);
    expect(login.output()).toMatch(/Signed in as bob@example.com \(bob\)/);
    const file = join(configDir, 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { accessToken: string; expiresAt: string };

    const whoami = new ManagedProcess('postern-whoami', CLI_MAIN, env, ['whoami']);
    expect((await whoami.exit()).code).toBe(0);
    const shown = whoami.output();
    expect(shown).toMatch(/^.*bob@example\.com/);
    expect(shown).toMatch(/kind: +user/);
    expect(shown).toMatch(/groups: +approvers, engineers/);
    expect(shown).toMatch(/roles: +user, approver/);

    const token = new ManagedProcess('postern-token', CLI_MAIN, env, ['token']);
    expect((await token.exit()).code).toBe(0);
    expect(token.logs.map((line) => line.msg)).toEqual([stored.accessToken]);

    // Expired, with no refresh token (the sign-in could not be renewed): sign in again, exit 3.
    await writeFile(
      file,
      JSON.stringify({ ...stored, refreshToken: null, expiresAt: new Date(Date.now() - 60_000).toISOString() }),
      { mode: 0o600 },
    );
    const expired = new ManagedProcess('postern-token-expired', CLI_MAIN, env, ['token']);
    expect((await expired.exit()).code).toBe(3);
    expect(expired.output()).toMatch(/your Postern token expired at .*: run `postern login` again/);
  });
});

// ---------- helpers ----------

interface Me {
  id: string;
  kind: string;
  roles: string[];
  groups: string[];
  user: { issuer: string; subject: string; email: string; displayName: string; groups: string[] } | null;
}

interface GraphqlAnswer<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function gql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown>,
  credential: { cookie?: string; bearer?: string },
): Promise<GraphqlAnswer<T>> {
  const response = await fetch(cp.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential.cookie ? { cookie: credential.cookie } : {}),
      ...(credential.bearer ? { authorization: `Bearer ${credential.bearer}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphqlAnswer<T>;
}

/** A full browser sign-in; returns the session cookie's value (the access token). */
async function sessionFor(login: string): Promise<string> {
  const browser = new ScriptedBrowser();
  const callback = await browser.signInAt(`${cp.httpUrl}/auth/login`, login);
  expect((await browser.request('GET', callback.href)).status).toBe(303);
  return browser.jar.get(cp.httpUrl, 'postern_session')!;
}

async function expectRefused(pending: Promise<Page>, message: RegExp): Promise<void> {
  const page = await pending;
  expect(page.status).toBe(400);
  const body = JSON.parse(page.body) as { message: string };
  expect(body.message).toMatch(message);
  expect(page.body).not.toMatch(/at .*\.js:\d+/);
}

async function clientCredentialsToken(): Promise<string> {
  const metadata = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
  };
  const { clientId, clientSecret } = idp.clients.machine;
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: AUDIENCE }),
  });
  const body = (await response.json()) as { access_token?: string };
  expect(response.status).toBe(200);
  return body.access_token!;
}

/** A JWT with the IdP's header (kid included) but signed by a key the IdP never had. */
function signWithForeignKey(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** The development IdP in its own process, with the control plane's callback registered. */
async function startIdp(redirectUrl: string): Promise<ManagedProcess> {
  const script = join(workDir, 'dev-idp.mjs');
  const devIdp = pathToFileURL(`${REPO_ROOT}libs/testing/dist/idp/dev-idp.js`).href;
  await writeFile(
    script,
    `import { startDevIdp } from ${JSON.stringify(devIdp)};
const idp = await startDevIdp({ redirectUris: [process.env.REDIRECT_URL], machineSecret: process.env.MACHINE_SECRET });
process.stdout.write(JSON.stringify({ msg: 'dev idp listening', issuer: idp.issuer, clients: idp.clients }) + '\\n');
process.on('SIGTERM', () => void idp.close().then(() => process.exit(0)));
`,
  );
  return new ManagedProcess('dev-idp', script, {
    REDIRECT_URL: redirectUrl,
    MACHINE_SECRET: randomBytes(24).toString('base64url'),
  });
}

describe('just-in-time access (request, approval, grant, expiry)', () => {
  const GRANT_SECONDS = 4;
  let target: TestDatabase;
  let agent: ManagedProcess;
  let agentPort: number;
  let connectionId: string;

  beforeAll(async () => {
    target = await createTestDatabase('postern_jit');
    const created = await cp.admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
      'mutation { createAgent(input: { name: "edge-jit" }) { agent { id } enrollment { token } } }',
    );
    agent = startAgent({
      controlPlaneAddress: cp.grpcAddress,
      stateDir: join(workDir, 'jit-agent'),
      enrollmentToken: created.data!.createAgent.enrollment.token,
      env: { POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0', JIT_DB_PASSWORD: 'unused-with-trust-auth' },
    });
    agentPort = Number((await agent.waitForMessage('local ingress listening'))['port']);
    const connection = await cp.admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name: 'payments',
          protocol: 'POSTGRES',
          agentId: created.data!.createAgent.agent.id,
          targetHost: '127.0.0.1',
          targetPort: 5432,
          targetDatabase: target.name,
          targetUser: 'postgres',
          secretRef: 'env:JIT_DB_PASSWORD',
          tlsMode: 'disable',
        },
      },
    );
    connectionId = connection.data!.createConnection.id;
    const rule = await cp.admin(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read"], requiresApproval: true, approverGroups: ["approvers"] }) { id } }',
      { id: connectionId },
    );
    expect(rule.errors).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await target?.drop();
  });

  const MINT =
    'mutation($c: ID!) { mintMyConnectionCredential(connectionId: $c, ttlSeconds: 3600) { password database credential { expiresAt } } }';

  test('request → self-approval and outsiders refused → another approver approves → access works → the grant expires and the session ends', async () => {
    const [alice, bob, carol] = [await sessionFor('alice'), await sessionFor('bob'), await sessionFor('carol')];
    const asAlice = { bearer: alice };

    // No standing access: alice cannot mint a credential yet.
    const before = await gql(MINT, { c: connectionId }, asAlice);
    expect(before.errors?.[0]).toMatchObject({ extensions: { code: 'PERMISSION_DENIED' } });
    expect(before.errors?.[0]?.message).toMatch(/request just-in-time access/);

    const requested = await gql<{ requestAccess: { id: string; status: string; approverGroups: string[] } }>(
      'mutation($c: ID!, $s: Int!) { requestAccess(input: { connectionId: $c, reason: "INC-4711 refund stuck", durationSeconds: $s }) { id status approverGroups } }',
      { c: connectionId, s: GRANT_SECONDS },
      asAlice,
    );
    expect(requested.errors).toBeUndefined();
    const review = requested.data!.requestAccess;
    expect(review).toMatchObject({ status: 'PENDING', approverGroups: ['approvers'] });

    const approve = 'mutation($id: ID!) { approveReview(id: $id, comment: "ok") { status } }';
    // The requester can never approve their own request (alice lacks the approver role anyway).
    const self = await gql(approve, { id: review.id }, asAlice);
    expect(self.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');
    // carol is an admin but not in the rule's approver groups.
    const outsider = await gql(approve, { id: review.id }, { bearer: carol });
    expect(outsider.errors?.[0]).toMatchObject({ extensions: { code: 'PERMISSION_DENIED' } });
    expect(outsider.errors?.[0]?.message).toMatch(/only members of approvers/);

    const approved = await gql<{ approveReview: { status: string } }>(approve, { id: review.id }, { bearer: bob });
    expect(approved.errors).toBeUndefined();
    expect(approved.data!.approveReview.status).toBe('APPROVED');
    const approvedAt = Date.now();

    // Access works: a credential (capped at the grant's expiry) opens a session through the agent.
    const minted = await gql<{ mintMyConnectionCredential: { password: string; credential: { expiresAt: string } } }>(
      MINT,
      { c: connectionId },
      asAlice,
    );
    expect(minted.errors).toBeUndefined();
    expect(Date.parse(minted.data!.mintMyConnectionCredential.credential.expiresAt) - approvedAt).toBeLessThanOrEqual(
      GRANT_SECONDS * 1000 + 500,
    );
    const password = minted.data!.mintMyConnectionCredential.password;
    const connect = async () => {
      const c = new pg.Client({ host: '127.0.0.1', port: agentPort, database: 'payments', user: 'alice', password });
      await c.connect();
      return c;
    };
    // The grant reaches the agent with the pushed policy (well under a second).
    const client = await waitFor(async () => connect().catch(() => undefined), {
      what: 'alice connects under her grant',
      timeoutMs: 3_000,
    });
    const ended = new Promise<{ code?: string; at: number }>((resolve) =>
      client.on('error', (error: Error & { code?: string }) => resolve({ code: error.code, at: Date.now() })),
    );
    expect((await client.query('select 7 * 6 as answer')).rows).toEqual([{ answer: 42 }]);

    // The grant expires: the agent ends the session by itself, within a second of the expiry.
    const { code, at } = await ended;
    expect(code).toBe('57P01');
    expect(at - approvedAt).toBeLessThan(GRANT_SECONDS * 1000 + 1_500);
    await client.end().catch(() => undefined);
    // And the BullMQ expiry job ran on the control plane.
    await waitFor(
      async () =>
        (await queryDatabase(database.url, `SELECT 1 FROM audit_events WHERE kind = 'grant.expired'`)).length > 0,
      {
        what: 'the grant.expired audit event',
      },
    );
  });
});
