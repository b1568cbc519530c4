// The control plane as a real process against the machine's PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import {
  CONTROL_PLANE_MAIN,
  ManagedProcess,
  REPO_ROOT,
  createTestDatabase,
  graphql,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';

const MIGRATIONS = readdirSync(`${REPO_ROOT}prisma/migrations`, { withFileTypes: true }).filter((d) =>
  d.isDirectory(),
).length;

let database: TestDatabase;
let cp: ControlPlaneHandle;

beforeAll(async () => {
  database = await createTestDatabase('postern_cp');
  cp = await startControlPlane({ databaseUrl: database.url });
});

afterAll(async () => {
  await cp?.process.stop();
  await database?.drop();
});

describe('boot', () => {
  test('reports live and ready once PostgreSQL, Redis and migrations are in place', async () => {
    const live = await fetch(`${cp.httpUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });

    const ready = await fetch(`${cp.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { database: true, redis: true, migrations: true } });

    const applied = await queryDatabase<{ n: string }>(
      database.url,
      'SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL',
    );
    expect(Number(applied[0]!.n)).toBe(MIGRATIONS);
  });

  test('a bad setting stops the process with a message naming the variable', async () => {
    const bad = new ManagedProcess('bad-config', CONTROL_PLANE_MAIN, {
      ...cp.env,
      POSTERN_HTTP_PORT: 'eighty',
      POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'too-short',
    });
    const exit = await bad.exit();
    expect(exit.code).toBe(2);
    const output = bad.output();
    expect(output).toMatch(/POSTERN_HTTP_PORT .*"eighty"/);
    expect(output).toMatch(/POSTERN_BOOTSTRAP_ADMIN_TOKEN must be at least 32 characters/);
    expect(output).not.toContain('too-short');
  });

  test('an unreachable Redis or database is named, with where it looked and which variable to set', async () => {
    const noRedis = new ManagedProcess('no-redis', CONTROL_PLANE_MAIN, {
      ...cp.env,
      POSTERN_REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect((await noRedis.exit()).code).toBe(3);
    expect(noRedis.output()).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*POSTERN_REDIS_URL/);

    const url = new URL(database.url);
    url.password = 'not-a-real-password';
    url.pathname = '/postern_does_not_exist';
    const noDatabase = new ManagedProcess('no-db', CONTROL_PLANE_MAIN, {
      ...cp.env,
      POSTERN_DATABASE_URL: url.toString(),
    });
    expect((await noDatabase.exit()).code).toBe(3);
    const output = noDatabase.output();
    expect(output).toMatch(
      /cannot reach PostgreSQL at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/postern_does_not_exist/,
    );
    expect(output).toMatch(/POSTERN_DATABASE_URL/);
    expect(output).not.toContain('not-a-real-password');
    // Two control planes boot one after the other (~3 s of CPU each): minutes on a machine as
    // loaded as a full run with other jobs made it, beyond Jest's default 60 s.
  }, 180_000);

  test('two replicas starting together on a fresh database apply each migration exactly once', async () => {
    const fresh = await createTestDatabase('postern_cp_race');
    try {
      const replicas = await Promise.all([
        startControlPlane({ databaseUrl: fresh.url }),
        startControlPlane({ databaseUrl: fresh.url }),
      ]);
      const rows = await queryDatabase<{ migration_name: string }>(
        fresh.url,
        'SELECT migration_name FROM _prisma_migrations',
      );
      expect(rows).toHaveLength(MIGRATIONS);
      for (const replica of replicas) {
        expect((await fetch(`${replica.httpUrl}/readyz`)).status).toBe(200);
      }
      await Promise.all(replicas.map((r) => r.process.stop()));
    } finally {
      await fresh.drop();
    }
  });

  test('SIGTERM shuts down gracefully with exit code 0', async () => {
    const other = await startControlPlane({ databaseUrl: database.url });
    const exit = await other.process.stop('SIGTERM');
    expect(exit.code).toBe(0);
  });
});

describe('admin API authentication', () => {
  const createAgent =
    'mutation($name: String!) { createAgent(input: { name: $name }) { agent { id name status } enrollment { token expiresAt } } }';

  test('no query and no mutation is reachable without the admin token', async () => {
    for (const token of [undefined, 'wrong-token', `${'x'.repeat(43)}`]) {
      const mutation = await graphql(cp.graphqlUrl, createAgent, { name: 'sneaky' }, token);
      expect(mutation.data ?? null).toBeNull();
      expect(mutation.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const query = await graphql(cp.graphqlUrl, '{ agents { id } }', {}, token);
      expect(query.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const rows = await queryDatabase(database.url, `SELECT 1 FROM agents WHERE name = 'sneaky'`);
    expect(rows).toHaveLength(0);
  });

  test('the admin creates an agent and gets a one-time enrollment token stored only as a hash', async () => {
    const created = await cp.admin<{
      createAgent: { agent: { id: string; status: string }; enrollment: { token: string } };
    }>(createAgent, { name: 'edge-eu-1' });
    expect(created.errors).toBeUndefined();
    const { agent, enrollment } = created.data!.createAgent;
    expect(agent.status).toBe('PENDING');
    expect(enrollment.token).toMatch(/^postern_enroll_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);

    const secret = enrollment.token.slice(-43);
    const dump = await queryDatabase(database.url, 'SELECT * FROM agent_enrollment_tokens');
    expect(JSON.stringify(dump)).not.toContain(secret);
    expect(cp.process.output()).not.toContain(secret);

    const audit = await queryDatabase<{ kind: string; actor_id: string }>(
      database.url,
      `SELECT kind, actor_id FROM audit_events WHERE agent_id = $1`,
      [agent.id],
    );
    expect(audit).toEqual([{ kind: 'agent.created', actor_id: 'bootstrap-admin' }]);
  });

  test('bad input gets a clear error code, and the process keeps serving', async () => {
    await cp.admin(createAgent, { name: 'dup-1' });
    expect((await cp.admin(createAgent, { name: 'dup-1' })).errors?.[0]).toMatchObject({
      message: 'an agent named "dup-1" already exists',
      extensions: { code: 'ALREADY_EXISTS' },
    });
    expect((await cp.admin(createAgent, { name: 'Not A Name!' })).errors?.[0]?.extensions?.code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      (await cp.admin('{ agent(id: "00000000-0000-0000-0000-000000000000") { id } }')).errors?.[0]?.extensions?.code,
    ).toBe('NOT_FOUND');
    expect((await cp.admin('{ agents { nope } }')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await fetch(`${cp.httpUrl}/readyz`)).status).toBe(200);
  });
});
