// An SSH session replayed in a real browser: the built control plane serving the built dashboard,
// the development IdP, the built agent's SSH engine in front of a private OpenSSH sshd, and
// OpenSSH's ssh as the client. A command's output recorded by the agent plays in asciinema-player
// on the session's page once Carol (an admin) presses the player's Play button. Screenshot: docs/screenshots.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { REPO_ROOT, freePort, startStack, waitFor, type TestStack } from '@postern/testing';
import { PrivateSshd, runWithPassword, sshOptions } from '../../agent/test/ssh-harness.js';
import { launchChromium, openPage, screenshot, signIn, type TestBrowser } from './browser.js';

const MARKER = 'replayed-in-the-browser';

let stack: TestStack;
let sshd: PrivateSshd;
let chromium: TestBrowser;
let dashboard: string;
let sshPort: number;
let password: string;
const contexts: BrowserContext[] = [];

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

beforeAll(async () => {
  const httpPort = await freePort();
  const dashboardSecret = randomBytes(24).toString('base64url');
  dashboard = `http://127.0.0.1:${httpPort}`;
  sshd = await PrivateSshd.start();
  const keyFile = join(sshd.dir, 'target_key');
  writeFileSync(keyFile, sshd.clientKey, { mode: 0o600 });
  sshPort = await freePort();
  chromium = await launchChromium();
  stack = await startStack({
    name: 'postern_dash_ssh',
    idp: { dashboardSecret, redirectUris: [`${dashboard}/auth/callback`] },
    controlPlane: {
      httpPort,
      env: {
        POSTERN_RELAY_POSTGRES_PORT: 'off',
        POSTERN_OIDC_CLIENT_SECRET: dashboardSecret,
        POSTERN_OIDC_REDIRECT_URL: `${dashboard}/auth/callback`,
        POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
        POSTERN_DASHBOARD_DIR: `${REPO_ROOT}apps/dashboard/dist`,
      },
    },
    agents: [
      {
        name: 'edge-ssh-replay',
        env: {
          POSTERN_AGENT_SSH_LISTEN: `127.0.0.1:${sshPort}`,
          POSTERN_AGENT_SECRET_ALLOW: `file:${keyFile}`,
          POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${sshd.port}`,
          POSTERN_RECORDING_FLUSH_MS: '100',
        },
      },
    ],
  });
  const agent = stack.agents.get('edge-ssh-replay')!;
  const created = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'web01',
        protocol: 'SSH',
        agentId: agent.id,
        targetHost: '127.0.0.1',
        targetPort: sshd.port,
        targetUser: sshd.user,
        secretRef: `file:${keyFile}`,
        hostKeyFingerprint: sshd.fingerprint,
      },
    },
  );
  const connectionId = created.createConnection.id;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "dana@example.com", groups: ["engineers"] }) { id } }',
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["exec"] }) { id } }',
    { c: connectionId },
  );
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  password = minted.mintConnectionCredential.password;
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await chromium?.close();
  await stack?.stop();
  await sshd?.stop();
});

describe('SSH replay in Chromium', () => {
  test("an exec's recorded output plays in asciinema-player on the session's page", async () => {
    // Until the agent has the snapshot naming the connection, the login is refused.
    const ran = await waitFor(
      async () => {
        const result = await runWithPassword(
          'ssh',
          [...sshOptions(sshPort), '-l', 'dana@example.com+web01', '127.0.0.1', `printf '%s\\n' ${MARKER}`],
          { password },
        );
        return result.code === 0 ? result : undefined;
      },
      { timeoutMs: 45_000, what: 'an ssh exec through the agent' },
    );
    expect(ran.stdout).toBe(`${MARKER}\n`);
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
        return page.sessionRecording.complete || undefined;
      },
      { timeoutMs: 45_000, what: 'the complete recording of the ssh session' },
    );

    const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    context.setDefaultTimeout(60_000);
    context.setDefaultNavigationTimeout(60_000);
    const { page: carol, problems } = await openPage(context, dashboard);
    await signIn(carol, dashboard, 'carol');
    await carol.getByRole('link', { name: 'Sessions' }).click();
    await carol.getByRole('heading', { name: 'Sessions' }).waitFor();
    await carol
      .getByRole('link', { name: /^session of / })
      .first()
      .click();
    await carol.getByRole('heading', { name: /^Session of .+ on web01$/ }).waitFor();
    const terminal = carol.getByRole('region', { name: 'terminal replay' });
    await expect(terminal.getByLabel('terminal summary').textContent()).resolves.toMatch(/^[1-9]\d* output events/);
    // The player (a lazily loaded chunk) mounts, plays on its Play button and draws the recorded output.
    const player = terminal.getByTestId('terminal-player');
    await player.getByRole('button', { name: 'Play' }).click();
    await player.locator('.ap-term-text').getByText(MARKER).waitFor({ timeout: 30_000 });
    await screenshot(carol, 'ssh-replay');
    // Among them, the Content-Security-Policy refusing the player's WebAssembly (a blank terminal).
    expect(problems).toEqual([]);
  }, 240_000);
});
