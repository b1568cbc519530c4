// The SSH engine in the real agent, enrolled in the real control plane (libs/testing's stack):
// an SSH connection with its pinned host key created through GraphQL, a minted connection
// credential as the ssh password, an `ssh` dialect guardrail validated by the control plane and
// enforced by the agent, and the session reported back. Public-key login with a key registered
// through GraphQL (the agent learns it from the policy snapshot); removing the key ends the
// session it opened.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type TestStack } from '@postern/testing';
import { REFUSED_EXIT_STATUS } from '../src/engines/ssh/index.js';
import { freePort, PrivateSshd, runWithPassword, ssh, sshOptions, waitUntil } from './ssh-harness.js';

let sshd: PrivateSshd;
let stack: TestStack;
let port: number;
let password: string;
let connectionId: string;
let userId: string;
let agentPid: number;
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
  agentPid = agent.process.pid!;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "alice@example.com", groups: ["engineers"] }) { id } }',
    {},
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["exec", "sftp"] }) { id } }',
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
  userId = user.createUser.id;
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

  test("the access rule's operations (exec, sftp) refuse an interactive shell", async () => {
    const result = await ssh(port, login, [], { password, extra: ['-tt'], input: 'exit\n' });
    expect(result.code).toBe(REFUSED_EXIT_STATUS);
    expect(result.stdout + result.stderr).toContain('does not allow shell');
  });

  test('a wrong credential is refused', async () => {
    const result = await ssh(port, login, ['true'], { password: `${password.slice(0, -4)}AAAA` });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  test("100 MB scp up and down through the agent: files intact, the agent's memory stays bounded", async () => {
    const rssMb = (): number =>
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${agentPid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    await sshWhenReady('true');
    const before = rssMb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 50);
    const payload = randomBytes(100 * 1024 * 1024);
    const local = join(sshd.dir, 'big.bin');
    const remote = join(sshd.dir, 'big-remote.bin');
    const back = join(sshd.dir, 'big-back.bin');
    writeFileSync(local, payload);
    try {
      const up = await runWithPassword('scp', [...sshOptions(port), local, `${login}@127.0.0.1:${remote}`], {
        password,
        timeoutMs: 180_000,
      });
      expect(up).toMatchObject({ code: 0 });
      const down = await runWithPassword('scp', [...sshOptions(port), `${login}@127.0.0.1:${remote}`, back], {
        password,
        timeoutMs: 180_000,
      });
      expect(down).toMatchObject({ code: 0 });
    } finally {
      clearInterval(sampler);
    }
    const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    expect(digest(readFileSync(back))).toBe(digest(payload));
    for (const file of [local, remote, back]) rmSync(file, { force: true });
    // Reported in docs/benchmarks.md. The bound is generous on purpose (garbage collection runs
    // when it likes); what it catches is a relay that buffers the file instead of following windows.
    process.stderr.write(
      `agent RSS during 2 x 100 MB scp: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB peak\n`,
    );
    expect(peak - before).toBeLessThan(150);
  }, 400_000);

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

/** OpenSSH with one key only (no password, no agent). */
function keyArgs(key: string): string[] {
  const options = sshOptions(port).map((o) =>
    o === 'PreferredAuthentications=password'
      ? 'PreferredAuthentications=publickey'
      : o === 'PubkeyAuthentication=no'
        ? 'PubkeyAuthentication=yes'
        : o,
  );
  return [...options, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', key];
}

describe('ssh public keys registered through GraphQL', () => {
  let keyFile: string;
  let keyId: string;

  beforeAll(async () => {
    keyFile = join(sshd.dir, 'alice_login_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice laptop', '-f', keyFile]);
    const added = await admin<{ addSshKey: { id: string; fingerprint: string; name: string } }>(
      'mutation($u: ID!, $k: String!) { addSshKey(userId: $u, input: { publicKey: $k }) { id fingerprint name } }',
      { u: userId, k: readFileSync(`${keyFile}.pub`, 'utf8') },
    );
    keyId = added.addSshKey.id;
    expect(added.addSshKey.name).toBe('alice laptop');
  });

  test('the control plane refuses weak and duplicate keys', async () => {
    const weak = join(sshd.dir, 'weak_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', weak]);
    for (const publicKey of [readFileSync(`${weak}.pub`, 'utf8'), readFileSync(`${keyFile}.pub`, 'utf8')]) {
      const response = await stack.cp.admin(
        'mutation($u: ID!, $k: String!) { addSshKey(userId: $u, input: { publicKey: $k }) { id } }',
        { u: userId, k: publicKey },
      );
      expect(response.errors?.[0]?.message).toMatch(/at least 3072 bits|already registered/);
    }
  });

  test('the key logs in as its user; removing it ends the session it opened', async () => {
    const command = 'echo key-session-open; sleep 60';
    // Until the agent has the snapshot with the key, the login is refused: retry.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const child = spawn('ssh', [...keyArgs(keyFile), '-l', login, '127.0.0.1', command], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env['PATH'] ?? '', HOME: sshd.dir },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const opened = await Promise.race([
        waitUntil(() => stdout.includes('key-session-open'), 'the session', 30_000).then(() => true),
        exited.then(() => false),
      ]);
      if (!opened) {
        if (Date.now() > deadline) throw new Error(`key login never worked: ${stderr}`);
        continue;
      }
      const removedAt = Date.now();
      await admin('mutation($id: ID!) { removeSshKey(id: $id) { id } }', { id: keyId });
      const code = await exited;
      // Reported in docs/benchmarks.md; not asserted (timings are not tests).
      process.stderr.write(`ssh key removal ended the session after ${Date.now() - removedAt} ms\n`);
      expect(code).toBe(255);
      expect(stderr).toMatch(/Postern: .*(revoked|removed)/);
      break;
    }
    const again = await ssh(port, login, ['true'], { extra: keyArgs(keyFile), password: 'unused' });
    expect(again.code).toBe(255);
  });
});
