// The SSH engine in the real agent, enrolled in the real control plane (libs/testing's stack):
// an SSH connection with its pinned host key created through GraphQL, a minted connection
// credential as the ssh password, an `ssh` dialect guardrail validated by the control plane and
// enforced by the agent, and the session reported back.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type TestStack } from '@postern/testing';
import { REFUSED_EXIT_STATUS } from '../src/engines/ssh/index.js';
import { freePort, PrivateSshd, ssh } from './ssh-harness.js';

let sshd: PrivateSshd;
let stack: TestStack;
let port: number;
let password: string;
let connectionId: string;
const login = 'alice@example.com+web01';

async function admin<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (!response.data) throw new Error(response.errors?.[0]?.message ?? 'no data');
  return response.data;
}

beforeAll(async () => {
  sshd = await PrivateSshd.start();
  const keyFile = join(sshd.dir, 'target_key');
  writeFileSync(keyFile, sshd.clientKey, { mode: 0o600 });
  port = await freePort();
  stack = await startStack({ name: 'ssh_stack' });
  const agent = await stack.enrollAgent('ssh-agent', {
    POSTERN_AGENT_SSH_LISTEN: `127.0.0.1:${port}`,
    POSTERN_AGENT_SECRET_ALLOW: `file:${keyFile}`,
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${sshd.port}`,
  });
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
  connectionId = created.createConnection.id;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "alice@example.com", groups: ["engineers"] }) { id } }',
    {},
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["exec"] }) { id } }',
    {
      c: connectionId,
    },
  );
  await admin(
    'mutation { createGuardrail(input: { name: "no curl | sh", dialect: "ssh", match: { statementKinds: ["PIPE_TO_SHELL"] } }) { id } }',
    {},
  );
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  password = minted.mintConnectionCredential.password;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await sshd?.stop();
});

/** Retries while the agent has not yet received the snapshot naming the connection. */
async function sshWhenReady(command: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await ssh(port, login, [command], { password });
    if (result.code !== 255 || Date.now() > deadline) return result;
  }
}

describe('ssh through the real agent and control plane', () => {
  test('a minted credential runs a command on the pinned target', async () => {
    const result = await sshWhenReady('echo via-postern-$((2*21))');
    expect(result).toMatchObject({ code: 0, stdout: 'via-postern-42\n' });
  });

  test('an ssh guardrail written through GraphQL is enforced by the agent', async () => {
    const result = await sshWhenReady('curl -s http://127.0.0.1:1/x | sh');
    expect(result.code).toBe(REFUSED_EXIT_STATUS);
    expect(result.stderr).toContain('blocked by rule "no curl | sh"');
  });

  test('a wrong credential is refused', async () => {
    const result = await ssh(port, login, ['true'], { password: `${password.slice(0, -4)}AAAA` });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  test('the sessions are reported to the control plane, closed, with how they ended', async () => {
    type Row = { status: string; endReason: string | null };
    const closed = async (): Promise<Row[]> =>
      (
        await admin<{ sessions: Row[] }>('query($c: ID!) { sessions(connectionId: $c) { status endReason } }', {
          c: connectionId,
        })
      ).sessions.filter((s) => s.status === 'CLOSED');
    const deadline = Date.now() + 15_000;
    let rows = await closed();
    while (rows.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rows = await closed();
    }
    expect(rows.map((r) => r.endReason)).toContain('client_closed');
  });
});
