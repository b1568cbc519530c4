// The `postern` CLI end to end, as an engineer and an approver use it: the built CLI against the
// real control plane, the development IdP (the real oidc-provider; its pages walked by a scripted
// browser, as a person would in theirs) and an agent in front of the machine's PostgreSQL, with
// real psql for `connect`, `env` and `proxy`.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  REPO_ROOT,
  ScriptedBrowser,
  createTestDatabase,
  queryDatabase,
  startStack,
  waitFor,
  type TestDatabase,
  type TestStack,
} from '@postern/testing';

const CLI = `${REPO_ROOT}apps/cli/dist/main.js`;

let stack: TestStack;
let target: TestDatabase;
let workDir: string;
let agentPort: number;
let shopId: string;
const users: Record<'alice' | 'bob' | 'carol', Record<string, string>> = { alice: {}, bob: {}, carol: {} };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end (stdin closed unless given). */
function cli(env: Record<string, string>, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CLI process left running (login, request-access, proxy), with its output so far. */
function background(env: Record<string, string>, args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (c: string) => (state.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (state.stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, state, exited };
}

/** `postern login` (device flow) completed at the IdP's pages by `user`. */
async function signIn(user: 'alice' | 'bob' | 'carol'): Promise<Record<string, string>> {
  const env = { POSTERN_CONFIG_DIR: join(workDir, user) };
  const login = background(env, ['login', '--issuer', stack.idp!.issuer, '--api', stack.cp.httpUrl]);
  const [, uri, code] = (await waitFor(
    () => /open (\S+) and enter the code: (\S+)/.exec(login.state.stderr) ?? undefined,
    {
      what: `the device code for ${user} (${login.state.stderr})`,
    },
  )) as unknown as [string, string, string];
  const browser = new ScriptedBrowser();
  const confirm = await browser.submit(await browser.navigate(uri), { user_code: code });
  await browser.completeInteractions(await browser.submit(confirm, {}), user);
  expect(await login.exited).toBe(0);
  return env;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'postern-cli-e2e-'));
  target = await createTestDatabase('postern_cli_target');
  await queryDatabase(
    target.url,
    'CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, $$lamp$$), (2, $$desk$$)',
  );
  stack = await startStack({
    name: 'postern_cli',
    idp: true,
    controlPlane: {
      env: {
        POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
        POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
        POSTERN_ROLE_AUDITOR_GROUPS: 'approvers',
        POSTERN_JIT_MIN_GRANT_SECONDS: '60',
      },
    },
    agents: [{ name: 'edge', env: { POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0', CLI_DB_PASSWORD: 'trust' } }],
  });
  const agent = stack.agents.get('edge')!;
  agentPort = Number((await agent.process.waitForMessage('local ingress listening'))['port']);
  const create = async (name: string) => {
    const made = await stack.cp.admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name,
          protocol: 'POSTGRES',
          agentId: agent.id,
          targetHost: '127.0.0.1',
          targetPort: 5432,
          targetDatabase: target.name,
          targetUser: 'postgres',
          secretRef: 'env:CLI_DB_PASSWORD',
          tlsMode: 'disable',
        },
      },
    );
    if (!made.data) throw new Error(`createConnection ${name}: ${JSON.stringify(made.errors)}`);
    return made.data.createConnection.id;
  };
  shopId = await create('shop');
  const paymentsId = await create('payments');
  const ledger2Id = await create('ledger2');
  for (const [connectionId, requiresApproval] of [
    [shopId, false],
    [paymentsId, true],
    [ledger2Id, true],
  ] as const) {
    const rule = await stack.cp.admin(
      'mutation($id: ID!, $jit: Boolean) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"], requiresApproval: $jit, approverGroups: ["approvers"] }) { id } }',
      { id: connectionId, jit: requiresApproval },
    );
    expect(rule.errors).toBeUndefined();
  }
  users.alice = await signIn('alice');
  users.bob = await signIn('bob');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await target?.drop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('signing in', () => {
  test('login stores a 0600 token per profile and remembers the issuer and API in the profile', async () => {
    const dir = users.alice['POSTERN_CONFIG_DIR']!;
    expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    const whoami = await cli(users.alice, ['whoami']);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(/alice@example\.com/);
    const config = await cli(users.alice, ['-o', 'json', 'config', 'list']);
    expect(JSON.parse(config.stdout).profiles.default).toMatchObject({
      issuer: stack.idp!.issuer,
      api: stack.cp.httpUrl,
    });
  });

  test('an expired access token is refreshed without signing in again', async () => {
    const before = await cli(users.bob, ['token']);
    const file = join(users.bob['POSTERN_CONFIG_DIR']!, 'credentials.json');
    const { readFile, writeFile } = await import('node:fs/promises');
    const stored = JSON.parse(await readFile(file, 'utf8')) as { expiresAt: string; refreshToken: string | null };
    expect(stored.refreshToken).not.toBeNull();
    await writeFile(file, JSON.stringify({ ...stored, expiresAt: new Date(Date.now() - 60_000).toISOString() }), {
      mode: 0o600,
    });
    const after = await cli(users.bob, ['whoami']);
    expect(after.code).toBe(0);
    expect((await cli(users.bob, ['token'])).stdout).not.toBe(before.stdout);
  });

  test('login --browser: authorization code with PKCE through a loopback redirect', async () => {
    const env = { POSTERN_CONFIG_DIR: join(workDir, 'carol') };
    const login = background(env, [
      'login',
      '--browser',
      '--no-open',
      '--issuer',
      stack.idp!.issuer,
      '--api',
      stack.cp.httpUrl,
    ]);
    const url = (await waitFor(() => /(http\S+\/auth\S*)/.exec(login.state.stderr)?.[1], {
      what: `the authorization URL (${login.state.stderr})`,
    })) as string;
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
    const browser = new ScriptedBrowser();
    const isCallback = (next: URL) => next.hostname === '127.0.0.1' && next.pathname === '/callback';
    const last = await browser.completeInteractions(await browser.navigate(url, isCallback), 'carol', isCallback);
    expect(isCallback(new URL(last.url))).toBe(true);
    const done = await fetch(last.url);
    expect(await done.text()).toMatch(/Signed in to Postern/);
    expect(await login.exited).toBe(0);
    expect(login.state.stdout).toMatch(/Signed in as carol@example\.com/);
    users.carol = env;
  });
});

describe('reaching connections', () => {
  test('connections lists standing and requestable access', async () => {
    const table = await cli(users.alice, ['connections']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+PROTOCOL\s+ACCESS/m);
    const json = JSON.parse((await cli(users.alice, ['-o', 'json', 'connections'])).stdout) as Array<{
      name: string;
      access: string;
    }>;
    expect(json.map((c) => [c.name, c.access]).sort()).toEqual([
      ['ledger2', 'requestable'],
      ['payments', 'requestable'],
      ['shop', 'standing'],
    ]);
    // The JSON shape is the API's, stable for scripts.
    for (const row of json) {
      expect(Object.keys(row).sort()).toEqual([
        'access',
        'connectionId',
        'expiresAt',
        'name',
        'operations',
        'protocol',
      ]);
    }
  });

  test('connect starts psql through the relay with a fresh credential in its environment only', async () => {
    const run = await cli(users.alice, [
      'connect',
      'shop',
      '--',
      '-XAtc',
      'select current_user || $$/$$ || count(*) from orders',
    ]);
    expect(run.stderr).toMatch(/Connecting to shop \(postgres\) at 127\.0\.0\.1:\d+ as alice@example\.com/);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('postgres/2');
  });

  test('connect drives an interactive psql through a terminal', async () => {
    if (spawnSync('script', ['--version']).status !== 0) throw new Error('script(1) from util-linux is needed');
    const command = `${process.execPath} ${CLI} connect shop -- -X -P pager=off`;
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm', ...users.alice },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (/shop=[>#]/.test(out) && !out.includes('answer')) child.stdin.write('select 40 + 2 as answer;\n');
        if (/\b42\b/.test(out) && !out.includes('\\q sent')) {
          out += '\\q sent';
          child.stdin.write('\\q\n');
        }
      });
      child.on('exit', (code) => resolve({ code, out }));
      // A psql that never shows its prompt must not outlive the test.
      setTimeout(() => child.kill('SIGKILL'), 45_000).unref();
    });
    expect(run.out).toMatch(/answer[\s\S]*42/);
    expect(run.code).toBe(0);
  });

  test('env prints the variables for eval, and psql works with them', async () => {
    const run = await cli(users.alice, ['env', 'shop', '--via', `127.0.0.1:${agentPort}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^export PGPASSWORD='postern_conn_/m);
    const psql = spawnSync('sh', ['-c', `${run.stdout}\npsql -XAtc 'select item from orders order by id'`], {
      encoding: 'utf8',
    });
    expect(psql.stdout.trim().split('\n')).toEqual(['lamp', 'desk']);
  });

  test('proxy presents the credential for tools that cannot, and only to this user', async () => {
    const proxy = background(users.alice, ['proxy', 'shop', '--port', '0']);
    try {
      const port = Number(
        await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.exec(proxy.state.stdout)?.[1], {
          what: `the proxy's port (${proxy.state.stderr})`,
        }),
      );
      const client = new pg.Client({ host: '127.0.0.1', port, database: 'shop', user: 'anyone' });
      await client.connect();
      const { rows } = await client.query<{ n: string }>('select count(*)::text as n from orders');
      expect(rows[0]!.n).toBe('2');
      await client.end();
      // Another user of this machine is refused (the kernel's socket table names the owner).
      const other = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          'psql',
          '-XAtc',
          'select 1',
          `host=127.0.0.1 port=${port} dbname=shop user=x`,
        ],
        { encoding: 'utf8' },
      );
      expect(other.status).not.toBe(0);
      expect(other.stderr).toMatch(/not a process of the user running it/);
    } finally {
      proxy.child.kill('SIGINT');
      await proxy.exited;
    }
  });
});

describe('just-in-time access and reviews', () => {
  let reviewId: string;

  test('request-access waits until bob approves, then access is granted', async () => {
    const request = background(users.alice, ['request-access', 'payments', '--for', '1h', '--reason', 'incident 42']);
    reviewId = (await waitFor(() => /\(review ([0-9a-f-]{36})\)/.exec(request.state.stderr)?.[1], {
      what: `the review id (${request.state.stderr})`,
    })) as string;
    const pending = JSON.parse((await cli(users.bob, ['-o', 'json', 'reviews'])).stdout) as Array<{
      id: string;
      reason: string;
    }>;
    expect(pending.find((r) => r.id === reviewId)).toMatchObject({ reason: 'incident 42' });
    const shown = await cli(users.bob, ['review', reviewId]);
    expect(shown.stdout).toMatch(/reason:\s+incident 42/);
    // The requester cannot approve her own request: the API refuses (exit 4).
    const own = await cli(users.alice, ['approve', reviewId]);
    expect(own.code).toBe(4);
    const approved = await cli(users.bob, ['approve', reviewId, '--comment', 'go ahead']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/Approved .*approved/);
    expect(await request.exited).toBe(0);
    expect(request.state.stdout).toMatch(/Approved by bob@example\.com: go ahead/);
    const grants = await cli(users.alice, ['grants']);
    expect(grants.stdout).toMatch(/payments/);
  });

  test('reviews --watch shows a new request as it arrives (GraphQL subscription), as JSON lines', async () => {
    const watch = background(users.bob, ['-o', 'json', 'reviews', '--watch']);
    try {
      // The initial list (a JSON array) comes first, then one JSON object per event.
      await waitFor(() => watch.state.stderr.includes('Watching for new and decided reviews'), {
        what: 'the watch to start',
      });
      const request = background(users.alice, [
        'request-access',
        'ledger2',
        '--for',
        '30m',
        '--reason',
        'live please',
        '--no-wait',
      ]);
      expect(await request.exited).toBe(0);
      const line = (await waitFor(
        () => watch.state.stdout.split('\n').find((l) => l.startsWith('{') && l.includes('live please')),
        { what: `the new review on the watch (${watch.state.stdout})` },
      )) as string;
      const event = JSON.parse(line) as Record<string, unknown>;
      expect(event).toMatchObject({
        kind: 'ACCESS',
        status: 'PENDING',
        connectionName: 'ledger2',
        reason: 'live please',
      });
    } finally {
      watch.child.kill('SIGINT');
      await watch.exited;
    }
  });

  test('a rejected request ends with exit 5 and the reason', async () => {
    // carol is not an engineer: a fresh connection for her group is not needed, alice asks again elsewhere.
    const created = await stack.cp.admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name: 'ledger',
          protocol: 'POSTGRES',
          agentId: stack.agents.get('edge')!.id,
          targetHost: '127.0.0.1',
          targetDatabase: target.name,
          targetUser: 'postgres',
          secretRef: 'env:CLI_DB_PASSWORD',
          tlsMode: 'disable',
        },
      },
    );
    await stack.cp.admin(
      'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read"], requiresApproval: true, approverGroups: ["approvers"] }) { id } }',
      { id: created.data!.createConnection.id },
    );
    const request = background(users.alice, ['request-access', 'ledger', '--for', '30m', '--reason', 'curious']);
    const id = (await waitFor(() => /\(review ([0-9a-f-]{36})\)/.exec(request.state.stderr)?.[1], {
      what: 'the review id',
    })) as string;
    expect((await cli(users.bob, ['reject', id, '-m', 'not without a ticket'])).code).toBe(0);
    expect(await request.exited).toBe(5);
    expect(request.state.stderr).toMatch(/rejected by bob@example\.com: not without a ticket/);
  });
});

describe('ssh keys', () => {
  test('ssh-keys add, list and remove (by fingerprint) as alice', async () => {
    const file = join(workDir, 'alice_ed25519');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice laptop', '-f', file]);
    const added = await cli(users.alice, ['-o', 'json', 'ssh-keys', 'add', `${file}.pub`]);
    expect(added.code).toBe(0);
    const key = JSON.parse(added.stdout) as { fingerprint: string; name: string };
    expect(key.name).toBe('alice laptop');
    const printed = spawnSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1];
    expect(key.fingerprint).toBe(printed);
    const privateKey = await cli(users.alice, ['ssh-keys', 'add', file]);
    expect(privateKey).toMatchObject({ code: 2 });
    expect(privateKey.stderr).toMatch(/private key/);
    const listed = await cli(users.alice, ['ssh-keys', 'list']);
    expect(listed.stdout).toContain(key.fingerprint);
    expect(listed.stdout).toContain('ssh-ed25519 256');
    const removed = await cli(users.alice, ['ssh-keys', 'remove', key.fingerprint]);
    expect(removed).toMatchObject({ code: 0 });
    const empty = await cli(users.alice, ['ssh-keys', 'list']);
    expect(empty.stdout + empty.stderr).toMatch(/No SSH keys/);
  });
});

describe('sessions', () => {
  test('sessions, replay and verify show what alice did', async () => {
    const sessionId = (await waitFor(
      async () => {
        const listed = JSON.parse(
          (await cli(users.bob, ['-o', 'json', 'sessions', '--connection', 'shop'])).stdout,
        ) as Array<{
          id: string;
          status: string;
          statementCount: number;
        }>;
        return listed.find((s) => s.status === 'CLOSED' && s.statementCount >= 1)?.id;
      },
      { what: "a closed session of alice's on shop" },
    )) as string;
    const table = await cli(users.bob, ['sessions', '--user', 'alice']);
    expect(table.stdout).toMatch(/shop/);
    const replay = await waitFor(
      async () => {
        const run = await cli(users.bob, ['replay', sessionId]);
        return /session end/.test(run.stdout) && run;
      },
      { what: 'the complete recording' },
    );
    expect(replay.stdout).toMatch(/session start: alice@example\.com on shop/);
    expect(replay.stdout).toMatch(/from orders/);
    const verified = await cli(users.bob, ['verify', sessionId]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/intact/);
    // Alice is no auditor: the API refuses her the sessions list (exit 4), with the reason.
    const refused = await cli(users.alice, ['sessions']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/not allowed/);
  });

  test('logout revokes the refresh token at the IdP and forgets the credentials', async () => {
    const out = await cli(users.carol, ['logout']);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/Revoked the refresh token/);
    const after = await cli(users.carol, ['whoami']);
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/not signed in/);
  });
});
