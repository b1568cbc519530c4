// The approval story in a real browser against the real stack: the development IdP (its own login
// pages), the built control plane serving the built dashboard, an agent in front of the machine's
// PostgreSQL, and psql. Alice's UPDATE is held on the wire; Bob sees it appear in his inbox without
// reloading, approves it with a comment, and Alice's psql completes. Alice's browser shows no
// approve button and the API refuses her. Carol (admin) creates a masking rule in the UI, the next
// session is masked, and its replay shows the masked statement. Screenshots go to docs/screenshots.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import pg from 'pg';
import {
  REPO_ROOT,
  createTestDatabase,
  freePort,
  queryDatabase,
  startHttpUpstream,
  startStack,
  waitFor,
  type TestDatabase,
  type HttpUpstream,
  type TestStack,
} from '@postern/testing';
import { accessTokenFor, POSTERN_DATA_PLANE_AUDIENCE } from '../../control-plane/test/support/oidc-login.js';
import { psqlCommand, type PsqlResult } from '../../control-plane/test/support/psql.js';
import { createConnection, grantEngineers } from '../../control-plane/test/support/raw-agent.js';
import { launchChromium, openPage, screenshot, signIn, type TestBrowser } from './browser.js';

const EMAIL = 'ada.lovelace@example.com';

let stack: TestStack;
let upstream: HttpUpstream;
let httpAgentPort: number;
let ordersId: string;
let target: TestDatabase;
let chromium: TestBrowser;
let dashboard: string;
let agentPort: number;
let databaseToken: string;
let shopId: string;
let ledgerId: string;
const contexts: BrowserContext[] = [];
const problems: string[] = [];

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

/** psql as Alice: her data-plane access token as the password, or a credential she minted. */
function psql(sql: string, password = databaseToken): Promise<PsqlResult> {
  const conninfo = `host=127.0.0.1 port=${agentPort} dbname=shop user=alice sslmode=disable`;
  return psqlCommand(conninfo, password, sql, false);
}

/** A fresh browser profile (its own cookies) with one page, its console errors collected. */
async function person(): Promise<Page> {
  const context = await chromium.browser.newContext({
    viewport: { width: 1280, height: 900 },
    timezoneId: 'Europe/Paris',
  });
  contexts.push(context);
  // The suite shares two cores with the rest of `pnpm test`: slow is not broken.
  context.setDefaultTimeout(60_000);
  context.setDefaultNavigationTimeout(60_000);
  const { page, problems: found } = await openPage(context, dashboard);
  page.on('close', () => problems.push(...found));
  return page;
}

/** GraphQL from inside the page: the browser's own session cookie, same origin, as the dashboard sends it. */
function graphqlInPage(page: Page, query: string, variables: Record<string, unknown>) {
  return page.evaluate(
    async ({ query, variables }) => {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as {
        data?: unknown;
        errors?: { message: string; extensions?: { code?: string } }[];
      };
    },
    { query, variables },
  );
}

beforeAll(async () => {
  const httpPort = await freePort();
  const dashboardSecret = randomBytes(24).toString('base64url');
  dashboard = `http://127.0.0.1:${httpPort}`;
  target = await createTestDatabase('postern_dash_shop');
  await queryDatabase(
    target.url,
    `CREATE TABLE refunds (id int PRIMARY KEY, amount numeric, state text);
     INSERT INTO refunds VALUES (1, 10, 'requested');
     CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
     INSERT INTO customers VALUES (1, 'Ada', '${EMAIL}');`,
  );
  chromium = await launchChromium();
  upstream = await startHttpUpstream();
  stack = await startStack({
    name: 'postern_dash',
    idp: { dashboardSecret, redirectUris: [`${dashboard}/auth/callback`] },
    controlPlane: {
      httpPort,
      env: {
        POSTERN_RELAY_POSTGRES_PORT: 'off',
        POSTERN_OIDC_CLIENT_SECRET: dashboardSecret,
        POSTERN_OIDC_REDIRECT_URL: `${dashboard}/auth/callback`,
        POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
        POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
        POSTERN_DASHBOARD_DIR: `${REPO_ROOT}apps/dashboard/dist`,
      },
    },
    agents: [
      {
        name: 'edge-dashboard',
        env: {
          POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0',
          POSTERN_AGENT_HTTP_LISTEN: '127.0.0.1:0',
          ORDERS_TOKEN: 'orders-upstream-token',
          POSTERN_RECORDING_FLUSH_MS: '100',
          SHOP_PASSWORD: 'unused-with-trust',
        },
      },
    ],
  });
  const agent = stack.agents.get('edge-dashboard')!;
  const ingress = (protocol: string) =>
    agent.process.waitForLog((line) => line.msg === 'local ingress listening' && line['protocol'] === protocol);
  agentPort = Number((await ingress('postgres'))['port']);
  httpAgentPort = Number((await ingress('http'))['port']);
  shopId = await createConnection(stack.cp, 'shop', agent.id, {
    database: target.name,
    secretRef: 'env:SHOP_PASSWORD',
  });
  await admin('mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }', {
    input: {
      name: 'refund changes',
      approverGroups: ['approvers'],
      timeoutSeconds: 300,
      match: { statementKinds: ['UPDATE'], relations: ['refunds'] },
    },
  });
  ledgerId = await createConnection(stack.cp, 'ledger', agent.id, {
    database: target.name,
    secretRef: 'env:SHOP_PASSWORD',
  });
  await admin('mutation($input: CreateAccessRuleInput!) { createAccessRule(input: $input) { id } }', {
    input: {
      connectionId: ledgerId,
      groups: ['engineers'],
      operations: ['read'],
      requiresApproval: true,
      approverGroups: ['approvers'],
    },
  });
  await grantEngineers(stack.cp, shopId);
  const orders = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'orders-api',
        protocol: 'HTTP',
        agentId: agent.id,
        url: upstream.url,
        secretRef: 'env:ORDERS_TOKEN',
        http: { authScheme: 'bearer' },
      },
    },
  );
  ordersId = orders.createConnection.id;
  await grantEngineers(stack.cp, ordersId);
  databaseToken = await accessTokenFor(stack.idp!, 'alice', POSTERN_DATA_PLANE_AUDIENCE);
  await waitFor(
    async () => {
      const result = await psql('select 1');
      if (result.code !== 0) throw new Error(result.stderr.trim());
      return true;
    },
    { timeoutMs: 45_000, what: 'access for alice' },
  );
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await chromium?.close();
  await stack?.stop();
  await upstream?.stop();
  await target?.drop();
});

describe('the dashboard in Chromium', () => {
  test('Bob approves Alice’s held UPDATE from his live inbox; Alice cannot; her psql completes', async () => {
    const bob = await person();
    const alice = await person();
    await signIn(bob, dashboard, 'bob');
    await signIn(alice, dashboard, 'alice');

    await expect(bob.getByRole('heading', { name: 'Inbox' }).isVisible()).resolves.toBe(true);
    await expect(bob.getByLabel('signed in as').textContent()).resolves.toMatch(/bob@example\.com \(user, approver\)/);
    // Alice is a requester: no inbox in her navigation, her own page instead.
    await expect(alice.getByRole('link', { name: 'Inbox' }).count()).resolves.toBe(0);
    await alice.getByRole('heading', { name: 'My access' }).waitFor();
    // A second tab of Bob's: a decision taken in one shows in the other, in place.
    const bobOtherTab = await bob.context().newPage();
    await bobOtherTab.goto(`${dashboard}/inbox`);
    await bobOtherTab.getByRole('heading', { name: 'Inbox' }).waitFor();
    // Alice asks for just-in-time access in her page; both of Bob's tabs show it as it is made —
    // which also proves their subscriptions are live before the statement below is held.
    const request = alice.getByRole('form', { name: 'request access' });
    await expect(alice.getByRole('listitem', { name: 'connection ledger' }).textContent()).resolves.toContain(
      'requestable',
    );
    await request.getByLabel('Connection').selectOption({ label: 'ledger' });
    await request.getByLabel('Duration (minutes)').fill('30');
    await request.getByLabel('Reason').fill('reconcile the ledger');
    await request.getByRole('button', { name: 'Request access' }).click();
    await alice
      .getByRole('region', { name: 'my requests' })
      .getByRole('article', { name: 'Access request on ledger' })
      .waitFor();
    for (const tab of [bob, bobOtherTab]) {
      const access = tab.getByRole('article', { name: 'Access request on ledger' });
      await access.waitFor({ timeout: 60_000 });
      await access.getByText('reconcile the ledger').waitFor();
      await access.getByText('30 min 0 s').waitFor();
    }
    // Marks the documents: a reload or navigation would lose the mark.
    await bob.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    // Alice's database password: a short-lived credential revealed on her page (an IdP token would
    // connect as oidc:<subject>, which her requests list does not count as hers).
    const shop = alice.getByRole('listitem', { name: 'connection shop' });
    await shop.getByRole('button', { name: 'reveal a credential for shop' }).click();
    const password = (await alice.getByLabel('password for shop').textContent())!.trim();
    await expect(alice.getByLabel('connection instructions for shop').textContent()).resolves.toContain(
      'dbname=shop user=alice@example.com',
    );
    const held = psql("UPDATE refunds SET state = 'paid' WHERE id = 1", password);
    const pending = bob.getByRole('region', { name: 'pending reviews' }).getByRole('article').filter({
      hasText: "UPDATE refunds SET state = 'paid' WHERE id = 1",
    });
    // The statement waits; were it to end first, its output says why.
    await Promise.race([
      pending.waitFor({ timeout: 60_000 }),
      held.then((r) => {
        throw new Error(`psql ended before the review appeared: ${r.code} ${r.stdout} ${r.stderr}`);
      }),
    ]);
    await expect(bob.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);
    await pending.getByText('0 of 1 approval').waitFor();
    await expect(pending.textContent()).resolves.toContain('alice@example.com');
    await screenshot(bob, 'inbox');

    // Alice's side: her pending request, without approve or reject; the API refuses her too.
    const own = alice
      .getByRole('region', { name: 'my requests' })
      .getByRole('article')
      .filter({ hasText: 'UPDATE refunds' });
    await own.waitFor({ timeout: 60_000 });
    await expect(own.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await expect(alice.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    const reviewId = await pending.getAttribute('data-review-id');
    const refused = await graphqlInPage(alice, 'mutation($id: ID!) { approveReview(id: $id) { status } }', {
      id: reviewId,
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');
    await screenshot(alice, 'my-access');
    expect((await queryDatabase(target.url, 'SELECT state FROM refunds'))[0]).toEqual({ state: 'requested' });

    await pending.getByLabel('Comment').fill('refund checked with finance');
    await pending.getByRole('button', { name: 'Approve' }).click();

    const result = await held;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`awaits approval (review ${reviewId})`);
    expect((await queryDatabase(target.url, 'SELECT state FROM refunds'))[0]).toEqual({ state: 'paid' });

    // Decided in place, in both of Bob's tabs, and on Alice's page.
    const decidedHere = bob.getByRole('region', { name: 'decided reviews' }).locator(`[data-review-id="${reviewId}"]`);
    await decidedHere.getByLabel('status APPROVED').waitFor();
    await expect(decidedHere.textContent()).resolves.toContain('refund checked with finance');
    const decidedThere = bobOtherTab
      .getByRole('region', { name: 'decided reviews' })
      .locator(`[data-review-id="${reviewId}"]`);
    await decidedThere.getByLabel('status APPROVED').waitFor();
    await expect(
      bobOtherTab.getByRole('region', { name: 'pending reviews' }).locator(`[data-review-id="${reviewId}"]`).count(),
    ).resolves.toBe(0);
    await own.getByLabel('status APPROVED').waitFor({ timeout: 60_000 });
    await screenshot(bob, 'inbox-decided');

    // Sign-out ends the session on the server: the cookie it had is refused from then on.
    const [cookie] = (await alice.context().cookies()).filter((c) => c.name === 'postern_session');
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.getByRole('link', { name: 'Sign in' }).waitFor();
    const after = await fetch(`${dashboard}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `postern_session=${cookie!.value}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const body = (await after.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await bobOtherTab.close();
    await bob.close();
    await alice.close();
  }, 240_000);

  test('Carol creates a masking rule in the UI; the next session is masked and its replay shows it masked', async () => {
    const carol = await person();
    await signIn(carol, dashboard, 'carol', '/admin/masking-rules');
    await carol.getByRole('link', { name: 'Masking rules' }).click();
    const form = carol.getByRole('form', { name: 'new masking rule' });
    // The API's field-level error lands on the field it names.
    await form.getByLabel('Name').fill('emails');
    await form.getByLabel('Columns').fill('customers email');
    await form.getByLabel('email', { exact: true }).check();
    await form.getByRole('button', { name: 'Create masking rule' }).click();
    await form.getByRole('alert').filter({ hasText: 'must be column, table.column or schema.table.column' }).waitFor();
    await expect(form.getByLabel('Columns').getAttribute('aria-invalid')).resolves.toBe('true');
    await form.getByLabel('Columns').fill('customers.email');
    // Before saving: where it would have applied, on the sessions recorded so far.
    await form.getByRole('button', { name: 'Preview on last week' }).click();
    await expect(form.getByRole('region', { name: 'simulation' }).textContent()).resolves.toMatch(
      /would have applied to \d+ of last week’s \d+ sessions/,
    );
    await form.getByRole('button', { name: 'Create masking rule' }).click();
    await carol.getByRole('status').filter({ hasText: 'Masking rule “emails” created.' }).waitFor();
    await screenshot(carol, 'masking-rules');

    const masked = await waitFor(
      async () => {
        const result = await psql('SELECT name, email FROM customers');
        return result.code === 0 && !result.stdout.includes(EMAIL) ? result : undefined;
      },
      { timeoutMs: 45_000, what: 'the new masking rule to reach the agent' },
    );
    expect(masked.stdout).toContain('Ada|');
    await psql(`SELECT name, email FROM customers WHERE email = '${EMAIL}'`);
    // Its session, once the agent has shipped the complete recording.
    await waitFor(
      async () => {
        const data = await admin<{ sessions: { id: string; status: string }[] }>(
          '{ sessions(limit: 1) { id status } }',
        );
        const session = data.sessions[0];
        if (session?.status !== 'CLOSED') return undefined;
        const page = await admin<{ sessionRecording: { complete: boolean } }>(
          'query($id: ID!) { sessionRecording(sessionId: $id) { complete } }',
          { id: session.id },
        );
        return page.sessionRecording.complete;
      },
      { timeoutMs: 45_000, what: 'the complete recording of the last session' },
    );

    await carol.getByRole('link', { name: 'Sessions' }).click();
    await carol.getByRole('heading', { name: 'Sessions' }).waitFor();
    const latest = carol.getByRole('link', { name: /^session of / }).first();
    await latest.click();
    await carol.getByRole('heading', { name: /^Session of .+ on shop$/ }).waitFor();
    const replay = carol.getByRole('region', { name: 'replay' });
    await replay.getByText('SELECT name, email FROM customers WHERE email').waitFor({ timeout: 60_000 });
    await expect(replay.getByLabel('decision counts').textContent()).resolves.toContain('· 1 values masked');
    await expect(replay.textContent()).resolves.not.toContain(EMAIL);
    await carol.getByRole('region', { name: 'recording integrity' }).waitFor();
    await screenshot(carol, 'session-replay');

    // The audit log, and its hash chain verified.
    await carol.getByRole('link', { name: 'Audit' }).click();
    await carol.getByRole('cell', { name: 'review.approved' }).first().waitFor();
    await carol.getByRole('button', { name: 'Verify chain' }).click();
    await carol.getByRole('region', { name: 'chain verification' }).getByText('Audit chain intact').waitFor();
    await screenshot(carol, 'audit');

    // Administration: the agent with its status and policy version.
    await carol.getByRole('link', { name: 'Agents' }).click();
    await carol.getByRole('cell', { name: 'edge-dashboard' }).waitFor();
    await carol.getByText('(up to date)').first().waitFor({ timeout: 60_000 });
    await screenshot(carol, 'agents');

    // A narrow screen: everything reflows, nothing scrolls sideways.
    await carol.setViewportSize({ width: 390, height: 844 });
    await carol.getByRole('link', { name: 'Inbox' }).click();
    await carol.getByRole('heading', { name: 'Inbox' }).waitFor();
    await expect(carol.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
    await screenshot(carol, 'inbox-narrow');
    await carol.close();
    expect(problems).toEqual([]);
  }, 240_000);

  test('Carol follows a live session as it runs, then terminates it from its page', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: agentPort,
      user: 'alice',
      password: databaseToken,
      database: 'shop',
    });
    const ended = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.connect();
    try {
      await client.query('SELECT 1');
      const session = await waitFor(
        async () => {
          const data = await admin<{ sessions: { id: string }[] }>('{ sessions(limit: 1, status: "ACTIVE") { id } }');
          return data.sessions[0];
        },
        { timeoutMs: 45_000, what: 'the live session' },
      );
      const carol = await person();
      await signIn(carol, dashboard, 'carol', `/sessions/${session.id}`);
      await carol.getByRole('heading', { name: /^Session of .+ on shop$/ }).waitFor();
      const replay = carol.getByRole('region', { name: 'replay' });
      await replay.getByText('SELECT 1').waitFor();

      await client.query("SELECT 'live marker' AS said");
      await replay.getByText("SELECT 'live marker' AS said").waitFor();

      await carol.getByRole('button', { name: 'Terminate session' }).click();
      await expect(ended).resolves.toBeInstanceOf(Error);
      await expect(client.query('SELECT 2')).rejects.toThrow();
      await carol.close();
      expect(problems).toEqual([]);
    } finally {
      await client.end().catch(() => undefined);
    }
  }, 240_000);

  test('Carol replays an HTTP session as the list of its calls', async () => {
    // Alice calls the API through the agent's HTTP ingress with her OIDC token as bearer.
    await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${httpAgentPort}/c/orders-api/users/3`, {
          headers: { authorization: `Bearer ${databaseToken}` },
        });
        await response.arrayBuffer();
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 45_000, what: 'the HTTP connection to reach the agent' },
    );
    const sessionId = await waitFor(
      async () => {
        const data = await admin<{ sessions: { id: string; status: string }[] }>(
          'query($c: ID!) { sessions(connectionId: $c) { id status } }',
          { c: ordersId },
        );
        const closed = data.sessions.find((s) => s.status === 'CLOSED');
        if (!closed) return undefined;
        const page = await admin<{ sessionRecording: { complete: boolean } }>(
          'query($id: ID!) { sessionRecording(sessionId: $id) { complete } }',
          { id: closed.id },
        );
        return page.sessionRecording.complete ? closed.id : undefined;
      },
      { timeoutMs: 60_000, what: 'the complete recording of the HTTP session' },
    );
    const carol = await person();
    await signIn(carol, dashboard, 'carol', `/sessions/${sessionId}`);
    const calls = carol.getByRole('region', { name: 'HTTP calls' });
    const call = calls.getByLabel('GET /users/3 200');
    await call.waitFor({ timeout: 60_000 });
    await call.click();
    await expect(calls.getByLabel('Response body').textContent()).resolves.toContain('Ada Lovelace');
    // Her token was taken out before the call went on: the recording never had it.
    await expect(calls.textContent()).resolves.toContain('Request headers');
    await expect(calls.textContent()).resolves.not.toContain(databaseToken);
    await expect(calls.textContent()).resolves.not.toContain('authorization');
    await screenshot(carol, 'http-calls-replay');
    await carol.close();
    expect(problems).toEqual([]);
  }, 240_000);
});
