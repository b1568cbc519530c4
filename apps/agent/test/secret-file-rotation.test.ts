// Issue 25, item 5: secrets rotated outside Postern apply without a restart. The agent reads a
// `file:` reference afresh for every session (links resolved each time), so when the target's
// password changes (ALTER ROLE on a real PostgreSQL) and the file changes in the ways Vault Agent
// and Kubernetes write it — a `..data` link swapped atomically (Secret volumes, the Secrets Store
// CSI driver), a file rewritten in place, or a new file renamed over it — the next psql or
// node-postgres session logs in with the new password while sessions already open keep running.
// A file that is gone, empty or not a file fails new sessions closed, naming neither password.
//
// The machine's shared PostgreSQL trusts every local login, so it would accept any password: the
// target is a private cluster (the machine's PostgreSQL 15 binaries) whose test role needs SCRAM.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from '@postern/testing';
import { loadAgentConfig } from '../src/config.js';
import { AgentReach } from '../src/reach/agent-reach.js';
import { ALICE, TestGateway, type TargetSpec } from './postgres-harness.js';

let cluster: PrivatePostgres;
let root: string;
const gateways: TestGateway[] = [];
const clients: pg.Client[] = [];
/** Every password the role has had in this file: none may appear in a log. */
const passwords: string[] = [];

beforeAll(async () => {
  cluster = await startPrivatePostgres();
  root = mkdtempSync(join(tmpdir(), 'postern-rotation-'));
  passwords.push(cluster.users.scram.password);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  for (const gateway of gateways) {
    for (const password of passwords) expect(gateway.logs()).not.toContain(password);
  }
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Changes the target role's password on the server, as a DBA or a rotation job would. */
async function rotateOnTarget(): Promise<string> {
  const password = `rotated-${randomBytes(12).toString('base64url')}`;
  passwords.push(password);
  await cluster.query(`ALTER ROLE ${cluster.users.scram.user} PASSWORD ${pg.escapeLiteral(password)}`);
  return password;
}

/** An agent whose allow-lists name `allow` and the private cluster, as main.ts builds it. */
async function gateway(allow: string, secretRef: string): Promise<TestGateway> {
  const config = loadAgentConfig({
    POSTERN_CONTROL_PLANE_ADDRESS: '127.0.0.1:1',
    POSTERN_AGENT_STATE_DIR: join(root, 'state'),
    POSTERN_AGENT_SECRET_ALLOW: allow,
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${cluster.port}`,
  });
  const spec: TargetSpec = {
    host: '127.0.0.1',
    port: cluster.port,
    database: cluster.users.scram.database,
    user: cluster.users.scram.user,
    password: 'unused: the agent resolves secretRef itself',
    tlsMode: 'disable',
    secretRef,
  };
  const started = await TestGateway.start({
    connections: { db: spec },
    reach: new AgentReach(config.reach, () => undefined),
  });
  gateways.push(started);
  return started;
}

/** A node-postgres session through the agent, left open. */
async function openSession(at: TestGateway): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: at.port,
    user: ALICE.user,
    password: ALICE.password,
    database: 'db',
  });
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

async function whoAmI(client: pg.Client): Promise<string> {
  return (await client.query<{ current_user: string }>('SELECT current_user')).rows[0]!.current_user;
}

/** psql through the agent: its stdout, or its stderr as the rejection. */
function psql(at: TestGateway): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'psql',
      ['-X', '-At', '-c', 'SELECT current_user', at.url('db')],
      { env: { ...process.env, PGPASSWORD: ALICE.password, PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ ok: error === null, out: (error === null ? stdout : stderr).trim() }),
    );
  });
}

/** A directory laid out as a Kubernetes Secret volume: `password` → `..data/password` → a timestamped dir. */
class ProjectedVolume {
  private generation = 0;
  private current: string | null = null;

  constructor(readonly dir: string) {
    mkdirSync(dir);
  }

  get file(): string {
    return join(this.dir, 'password');
  }

  /** Writes a new generation and swaps `..data` to it with one rename, as kubelet's AtomicWriter does. */
  publish(password: string): void {
    this.generation += 1;
    const next = `..2026_12_08_00_00_0${this.generation}.${randomBytes(4).toString('hex')}`;
    mkdirSync(join(this.dir, next));
    writeFileSync(join(this.dir, next, 'password'), password);
    symlinkSync(next, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.current === null) symlinkSync('..data/password', this.file);
    else rmSync(join(this.dir, this.current), { recursive: true });
    this.current = next;
  }

  /** Removes the generation `..data` points to, leaving the links dangling. */
  breakData(): void {
    rmSync(join(this.dir, this.current!), { recursive: true });
  }
}

describe('a password rotated outside Postern applies to the next session, without a restart', () => {
  test('Kubernetes Secret volume / Secrets Store CSI: the `..data` link swapped, the file listed exactly', async () => {
    const volume = new ProjectedVolume(join(root, 'csi'));
    volume.publish(cluster.users.scram.password);
    const agent = await gateway(`file:${volume.file}`, `file:${volume.file}`);
    const running = await openSession(agent);
    expect(await whoAmI(running)).toBe(cluster.users.scram.user);

    const password = await rotateOnTarget();
    // The server has the new password, the volume still the old one: the next session is refused.
    const stale = await psql(agent);
    expect(stale.ok).toBe(false);
    expect(stale.out).toContain(`the target of connection "db" refused Postern's credentials`);

    volume.publish(password);
    expect(await psql(agent)).toEqual({ ok: true, out: cluster.users.scram.user });
    expect(await whoAmI(await openSession(agent))).toBe(cluster.users.scram.user);
    // The session opened before the rotation never noticed.
    expect(await whoAmI(running)).toBe(cluster.users.scram.user);
  });

  test.each([
    ['rewritten in place (same inode)', 'in-place'],
    ['replaced by a rename (Vault Agent sink)', 'rename'],
  ] as const)('a file %s, its directory listed', async (_name, style) => {
    const dir = join(root, `vault-${style}`);
    mkdirSync(dir);
    const file = join(dir, 'password');
    writeFileSync(file, `${passwords.at(-1)!}\n`);
    const inode = statSync(file).ino;
    const agent = await gateway(`file:${dir}/`, `file:${file}`);
    const running = await openSession(agent);

    const password = await rotateOnTarget();
    if (style === 'in-place') {
      writeFileSync(file, `${password}\n`);
      expect(statSync(file).ino).toBe(inode);
    } else {
      writeFileSync(join(dir, '.password.tmp'), `${password}\n`);
      renameSync(join(dir, '.password.tmp'), file);
      expect(statSync(file).ino).not.toBe(inode);
    }

    expect(await psql(agent)).toEqual({ ok: true, out: cluster.users.scram.user });
    expect(await whoAmI(await openSession(agent))).toBe(cluster.users.scram.user);
    expect(await whoAmI(running)).toBe(cluster.users.scram.user);
  });
});

describe('a secret file that cannot be read fails new sessions closed', () => {
  test.each([
    ['removed', (v: ProjectedVolume) => rmSync(v.file), /cannot be read: ENOENT/],
    [
      'left dangling (`..data` points at a removed generation)',
      (v: ProjectedVolume) => v.breakData(),
      /cannot be read: ENOENT/,
    ],
    [
      'emptied (a writer caught mid-way)',
      (v: ProjectedVolume) => (rmSync(v.file), writeFileSync(v.file, '')),
      /is empty/,
    ],
    ['replaced by a directory', (v: ProjectedVolume) => (rmSync(v.file), mkdirSync(v.file)), /cannot be read: EISDIR/],
  ])('%s', async (name, breakIt, logged) => {
    const volume = new ProjectedVolume(join(root, `broken-${name.split(' ')[0]}`));
    volume.publish(passwords.at(-1)!);
    const agent = await gateway(`file:${volume.dir}/`, `file:${volume.file}`);
    const running = await openSession(agent);

    breakIt(volume);

    const refused = await psql(agent);
    expect(refused.ok).toBe(false);
    expect(refused.out).toContain('the Postern agent cannot read the target secret of connection "db"');
    const error = await openSession(agent).then(
      () => null,
      (e: unknown) => e as pg.DatabaseError,
    );
    expect(error?.code).toBe('08001');
    // The operator's log says which file and why; the client is told only that the secret is unreadable.
    expect(agent.logs()).toMatch(logged);
    expect(agent.logs()).toContain(volume.file);
    expect(refused.out).not.toContain(volume.file);
    // Sessions already open are not the agent's to end over this.
    expect(await whoAmI(running)).toBe(cluster.users.scram.user);
  });
});

describe('links of an exactly listed file', () => {
  test('may stay inside its directory (the volume layout), never lead elsewhere', async () => {
    const dir = join(root, 'elsewhere');
    mkdirSync(dir);
    const outside = join(root, 'outside-password');
    writeFileSync(outside, passwords.at(-1)!);
    symlinkSync(outside, join(dir, 'password'));
    const agent = await gateway(`file:${dir}/password`, `file:${dir}/password`);

    const refused = await psql(agent);
    expect(refused.ok).toBe(false);
    expect(refused.out).toContain(`the agent does not resolve the secret file:${dir}/password`);
    expect(refused.out).toContain('not in POSTERN_AGENT_SECRET_ALLOW');
  });
});
