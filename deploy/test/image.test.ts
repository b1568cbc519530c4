// The container image's runtime tree, checked on the host (no container engine runs here):
// deploy/container/assemble.sh — the script the Containerfile's build stage runs — lays out both
// apps with production dependencies only; the control plane started from that tree, not from the
// checkout, applies the migrations, answers /readyz and serves the dashboard, and an agent started
// from it enrolls and connects. Both run with tracing on, so the OpenTelemetry SDK they load only
// then must be in the tree as well. Not checked here: the base image, its user and file modes
// (the Containerfile), and Node 24 as the image's runtime (CI's Node 24 pass runs the processes).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  startAgent,
  startControlPlane,
  type ControlPlaneHandle,
  type ManagedProcess,
  type TestDatabase,
} from '@postern/testing';

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const work = mkdtempSync(join(tmpdir(), 'postern-image-'));
const tree = join(work, 'image');
let assembled: { status: number | null; output: string };
let database: TestDatabase;
let cp: ControlPlaneHandle | undefined;
let agent: ManagedProcess | undefined;

/** What the image sets (Containerfile ENV), and tracing on, exporting to a port nobody listens on. */
function imageEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    POSTERN_PROTO_DIR: join(tree, 'proto'),
    POSTERN_TRACING: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  };
}

beforeAll(async () => {
  const result = spawnSync('bash', [join(repo, 'deploy/container/assemble.sh'), tree], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 280_000,
  });
  assembled = { status: result.status, output: `${result.stdout}${result.stderr}` };
  database = await createTestDatabase('postern_image');
}, 300_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.process.stop();
  await database?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('the image’s runtime tree (deploy/container/assemble.sh)', () => {
  test('holds both apps, the dashboard, migrations and contract, without sources, tests or dev dependencies', () => {
    expect(assembled).toMatchObject({ status: 0 });
    for (const path of [
      'apps/control-plane/dist/main.js',
      'apps/agent/dist/main.js',
      'apps/dashboard/dist/index.html',
      'prisma/migrations/migration_lock.toml',
      'proto/postern/agent/v1/control.proto',
    ]) {
      expect({ path, present: existsSync(join(tree, path)) }).toEqual({ path, present: true });
    }
    for (const path of [
      'apps/control-plane/src',
      'apps/control-plane/test',
      'apps/agent/src',
      'apps/control-plane/node_modules/@postern/testing',
      'apps/control-plane/node_modules/jest',
      'apps/agent/node_modules/jest',
    ]) {
      expect({ path, present: existsSync(join(tree, path)) }).toEqual({ path, present: false });
    }
  });

  test('the control plane runs from it (migrations, /readyz, dashboard) and an agent from it connects', async () => {
    expect(assembled).toMatchObject({ status: 0 });
    cp = await startControlPlane({
      databaseUrl: database.url,
      main: join(tree, 'apps/control-plane/dist/main.js'),
      env: imageEnv(),
    });
    expect(cp.process.logs.some((line) => line.msg === 'migrations applied')).toBe(true);
    expect(cp.process.logs.some((line) => line.msg === 'exporting traces')).toBe(true);
    expect((await fetch(`${cp.httpUrl}/readyz`)).status).toBe(200);
    const dashboard = await fetch(`${cp.httpUrl}/`);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('<div id="root"');

    const created = await cp.admin<{ createAgent: { enrollment: { token: string } } }>(
      'mutation { createAgent(input: { name: "from-image" }) { enrollment { token } } }',
    );
    agent = startAgent({
      main: join(tree, 'apps/agent/dist/main.js'),
      controlPlaneAddress: cp.grpcAddress,
      stateDir: join(work, 'agent-state'),
      enrollmentToken: created.data!.createAgent.enrollment.token,
      env: imageEnv(),
    });
    await agent.waitForMessage('connected to control plane', 30_000);
    expect(agent.logs.some((line) => line.msg === 'exporting traces')).toBe(true);
  }, 120_000);
});
