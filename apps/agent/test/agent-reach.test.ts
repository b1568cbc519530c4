// Issue 15, item 2: the agent decides what it may reveal. A connection (the control plane's word)
// names a secret reference and a target; the agent resolves and dials only what its own
// configuration allows, never its own state files, and sends a cleartext or MD5 password only
// over verified TLS or to a target it lists for that. Real clients (node-postgres, psql) against
// a fake PostgreSQL server that records what it is sent, and the machine's PostgreSQL.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { AuditEvent } from '@postern/proto';
import { backend, FrontendParser, type Frame } from '@postern/wire-postgres';
import { loadAgentConfig, AgentConfigError } from '../src/config.js';
import { AgentReach } from '../src/reach/agent-reach.js';
import type { ReachSettings } from '../src/reach/reach-policy.js';
import { ALICE, TestGateway, type TargetSpec } from './postgres-harness.js';

const AGENT_CREDENTIAL = 'agent-credential-5f1d9e0c7b2a4e86-do-not-leak';
const TARGET_PASSWORD = 'target-password-for-the-fake-server';

/** A "target" an attacker controls: asks for a password and records every frame it is sent. */
class FakeTarget {
  readonly frames: Frame[] = [];
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly ask: 'cleartext' | 'md5') {
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(ask: 'cleartext' | 'md5' = 'cleartext'): Promise<FakeTarget> {
    const target = new FakeTarget(ask);
    await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    return target;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Everything the agent sent after its StartupMessage, as text (a password would show here). */
  received(): string {
    return this.frames
      .filter((f) => f.kind !== 'startup')
      .map((f) => f.bytes.toString('latin1'))
      .join('');
  }

  private accept(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = new FrontendParser();
    socket.on('data', (chunk: Buffer) =>
      parser.parse(chunk, (frame) => {
        this.frames.push({ ...frame, bytes: Buffer.from(frame.bytes) } as Frame);
        if (frame.kind === 'ssl-request') {
          socket.write('N');
        } else if (frame.kind === 'startup') {
          socket.write(
            this.ask === 'md5'
              ? backend.authenticationMD5Password(Buffer.from([1, 2, 3, 4]))
              : backend.authenticationCleartextPassword(),
          );
        } else {
          // Whatever came, the "server" got what it wanted; it hangs up.
          socket.end(backend.errorResponse({ severity: 'FATAL', code: '28P01', message: 'thanks' }));
        }
      }),
    );
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let stateDir: string;
let secretsDir: string;
const gateways: TestGateway[] = [];
const fakes: FakeTarget[] = [];

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'postern-reach-state-'));
  secretsDir = mkdtempSync(join(tmpdir(), 'postern-reach-secrets-'));
  writeFileSync(join(stateDir, 'agent-credential'), `${AGENT_CREDENTIAL}\n`, { mode: 0o600 });
  writeFileSync(join(secretsDir, 'target-password'), `${TARGET_PASSWORD}\n`);
  // A link an operator (or an accident) left in an allowed directory, pointing at the credential.
  symlinkSync(join(stateDir, 'agent-credential'), join(secretsDir, 'looks-harmless'));
  mkdirSync(join(secretsDir, 'sub'));
});

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(secretsDir, { recursive: true, force: true });
});

/** The agent's reach as main.ts builds it: lists from the environment, its own files never. */
function reachFromEnv(env: Record<string, string>, events: AuditEvent[]): AgentReach {
  const config = loadAgentConfig({
    POSTERN_CONTROL_PLANE_ADDRESS: '127.0.0.1:1',
    POSTERN_AGENT_STATE_DIR: stateDir,
    ...env,
  });
  return new AgentReach(config.reach, (event) => events.push(event), {
    ...process.env,
    POSTERN_AGENT_CREDENTIAL: AGENT_CREDENTIAL,
    REACH_TEST_PASSWORD: TARGET_PASSWORD,
  });
}

async function gatewayWith(reach: AgentReach, connections: Record<string, TargetSpec>): Promise<TestGateway> {
  const gateway = await TestGateway.start({ connections, reach });
  gateways.push(gateway);
  return gateway;
}

async function fakeTarget(ask: 'cleartext' | 'md5' = 'cleartext'): Promise<FakeTarget> {
  const fake = await FakeTarget.start(ask);
  fakes.push(fake);
  return fake;
}

function spec(port: number, secretRef: string, extra: Partial<TargetSpec> = {}): TargetSpec {
  return {
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'postgres',
    password: 'unused: the agent resolves secretRef itself',
    tlsMode: 'disable',
    secretRef,
    ...extra,
  };
}

/** Connects with node-postgres; resolves to the server's error (or null if it connected). */
async function tryConnect(gateway: TestGateway, connection: string): Promise<pg.DatabaseError | null> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: connection,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error as pg.DatabaseError;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function details(event: AuditEvent): Record<string, unknown> {
  return JSON.parse(event.detailsJson ?? '{}') as Record<string, unknown>;
}

describe("the review's attack: a connection pointed at a fake server with the agent's credential file", () => {
  test.each([
    ['the credential file itself', () => `file:${stateDir}/agent-credential`],
    [
      'a path that walks back into the state directory',
      () => `file:${secretsDir}/sub/../../${stateDir.split('/').pop()}/agent-credential`,
    ],
    ['a symlink in an allowed directory', () => `file:${secretsDir}/looks-harmless`],
    ['the variable holding the credential', () => 'env:POSTERN_AGENT_CREDENTIAL'],
    ["the kernel's copy of the agent's environment", () => 'file:/proc/self/environ'],
  ])('%s is never resolved, whatever the allow-list says', async (_name, ref) => {
    const events: AuditEvent[] = [];
    // Everything allowed: the agent's own files must stay out anyway.
    const reach = reachFromEnv(
      {
        POSTERN_AGENT_SECRET_ALLOW: `file:/, env:*`,
        POSTERN_AGENT_TARGET_ALLOW: '*',
        POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: '*',
      },
      events,
    );
    const fake = await fakeTarget();
    const gateway = await gatewayWith(reach, { evil: spec(fake.port, ref()) });

    const error = await tryConnect(gateway, 'evil');

    expect(error?.code).toBe('42501');
    expect(error?.message).toBe('the Postern agent refused to open the target of connection "evil"');
    expect(error?.detail).toMatch(/does not resolve the secret .*agent's own/);
    expect(fake.received()).not.toContain(AGENT_CREDENTIAL);
    expect(fake.connections).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'target.refused', decision: 'refused', sessionId: '' });
    expect(details(events[0]!)).toMatchObject({ reason: 'secret_not_allowed', sessionId: gateway.sessions[0]!.id });
    expect(JSON.stringify(events)).not.toContain(AGENT_CREDENTIAL);
  });
});

describe('secret references outside the allow-list', () => {
  test('an unset list resolves nothing (fail closed); a listed directory resolves its files', async () => {
    const fake = await fakeTarget();
    const closed: AuditEvent[] = [];
    const refusing = await gatewayWith(reachFromEnv({ POSTERN_AGENT_TARGET_ALLOW: '*' }, closed), {
      t: spec(fake.port, `file:${secretsDir}/target-password`),
    });
    const error = await tryConnect(refusing, 't');
    expect(error?.detail).toMatch(/not in POSTERN_AGENT_SECRET_ALLOW/);
    expect(fake.connections).toBe(0);
    expect(details(closed[0]!)).toMatchObject({
      reason: 'secret_not_allowed',
      secretRef: `file:${secretsDir}/target-password`,
    });

    const allowed = await gatewayWith(
      reachFromEnv(
        {
          POSTERN_AGENT_SECRET_ALLOW: `file:${secretsDir}/`,
          POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1',
          POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: '127.0.0.1',
        },
        [],
      ),
      { t: spec(fake.port, `file:${secretsDir}/target-password`), other: spec(fake.port, 'file:/etc/hostname') },
    );
    await tryConnect(allowed, 't');
    expect(fake.received()).toContain(TARGET_PASSWORD);
    expect((await tryConnect(allowed, 'other'))?.detail).toMatch(/not in POSTERN_AGENT_SECRET_ALLOW/);
  });
});

describe('targets outside the allow-list', () => {
  test('a host or port the agent does not list is never dialled; a listed one is', async () => {
    const fake = await fakeTarget();
    const events: AuditEvent[] = [];
    const reach = reachFromEnv(
      {
        POSTERN_AGENT_SECRET_ALLOW: 'env:REACH_TEST_PASSWORD',
        POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1:5432, 10.0.0.0/8',
      },
      events,
    );
    const database = process.env['PGDATABASE'] ?? 'postgres';
    const gateway = await gatewayWith(reach, {
      elsewhere: spec(fake.port, 'env:REACH_TEST_PASSWORD'),
      real: spec(5432, 'env:REACH_TEST_PASSWORD', { database }),
    });

    const error = await tryConnect(gateway, 'elsewhere');
    expect(error?.code).toBe('42501');
    expect(error?.detail).toBe(
      `the agent does not connect to 127.0.0.1:${fake.port}: not in its POSTERN_AGENT_TARGET_ALLOW`,
    );
    expect(fake.connections).toBe(0);
    expect(details(events[0]!)).toMatchObject({ reason: 'target_not_allowed', target: `127.0.0.1:${fake.port}` });
    // The machine's PostgreSQL (trust: no password asked) is listed and works.
    expect(await tryConnect(gateway, 'real')).toBeNull();
  });
});

describe('cleartext and MD5 passwords', () => {
  test.each(['cleartext', 'md5'] as const)(
    'a %s password goes only over verified TLS or to a target listed for it',
    async (method) => {
      const fake = await fakeTarget(method);
      const events: AuditEvent[] = [];
      const base = { POSTERN_AGENT_SECRET_ALLOW: 'env:REACH_TEST_PASSWORD', POSTERN_AGENT_TARGET_ALLOW: '127.0.0.1' };
      const connections = { t: spec(fake.port, 'env:REACH_TEST_PASSWORD', { tlsMode: 'prefer' }) };
      const strict = await gatewayWith(reachFromEnv(base, events), connections);

      const error = await tryConnect(strict, 't');
      expect(error?.code).toBe('42501');
      expect(error?.detail).toMatch(
        new RegExp(
          `does not send a ${method === 'md5' ? 'MD5' : 'cleartext'} password to 127.0.0.1:\\d+ over an unencrypted link`,
        ),
      );
      // It asked, and got nothing: no password message at all.
      expect(fake.connections).toBe(1);
      expect(fake.frames.filter((f) => f.kind === 'message' && f.code === 0x70)).toEqual([]);
      expect(details(events[0]!)).toMatchObject({ reason: 'plain_password_not_allowed', method, link: 'plaintext' });

      const listed = await gatewayWith(
        reachFromEnv({ ...base, POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: '127.0.0.0/8' }, []),
        connections,
      );
      await tryConnect(listed, 't');
      expect(fake.frames.filter((f) => f.kind === 'message' && f.code === 0x70)).toHaveLength(1);
    },
  );
});

describe('configuration', () => {
  test('a malformed entry stops the agent at boot, naming the variable', () => {
    const load = (env: Record<string, string>) => () =>
      loadAgentConfig({ POSTERN_CONTROL_PLANE_ADDRESS: '127.0.0.1:1', ...env });
    expect(load({ POSTERN_AGENT_TARGET_ALLOW: '10.0.0.0/40' })).toThrow(/POSTERN_AGENT_TARGET_ALLOW: .*prefix/);
    expect(load({ POSTERN_AGENT_SECRET_ALLOW: 'vault:x' })).toThrow(AgentConfigError);
    expect(load({ POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: 'db:99999' })).toThrow(/PLAIN_PASSWORD_TARGETS/);
  });

  test('unset lists allow nothing; the state directory and credential variables are always excluded', () => {
    const config = loadAgentConfig({
      POSTERN_CONTROL_PLANE_ADDRESS: '127.0.0.1:1',
      POSTERN_AGENT_STATE_DIR: '/srv/agent',
      POSTERN_AGENT_MASKING_KEY: 'env:MASKING_KEY',
    });
    const settings: ReachSettings = config.reach;
    expect(settings).toMatchObject({ secrets: [], targets: [], plainPasswordTargets: [] });
    expect(settings.never.files).toContain('/srv/agent');
    expect(settings.never.env).toEqual(
      expect.arrayContaining(['POSTERN_AGENT_CREDENTIAL', 'POSTERN_ENROLLMENT_TOKEN', 'MASKING_KEY']),
    );
  });
});
