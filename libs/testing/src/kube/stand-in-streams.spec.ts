// The stand-in API server's streams against the real kubectl 1.32, without Postern in between:
// exec over SPDY/3.1 (kubectl's fallback, forced with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)
// and port-forward over both the WebSocket tunnel and plain SPDY/3.1
// (KUBECTL_PORT_FORWARD_WEBSOCKETS=false), to a real HTTP server. The Kubernetes engine refuses
// SPDY, so only these tests exercise the stand-in's SPDY paths.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '../wait.js';
import { seedStandIn, startStandInApiServer, type StandInApiServer } from './stand-in-apiserver.js';

let api: StandInApiServer;
let service: Server;
let dir: string;
let config: string;

function kubectl(
  args: string[],
  env: Record<string, string> = {},
  options: { input?: string; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', config, '--cache-dir', join(dir, 'cache'), ...args],
      { env: { PATH: process.env['PATH'] ?? '', HOME: dir, TZ: 'UTC', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

beforeAll(async () => {
  api = await startStandInApiServer({ token: 'stand-in-token' });
  seedStandIn(api.store);
  dir = mkdtempSync(join(tmpdir(), 'postern-stand-in-'));
  config = join(dir, 'kubeconfig');
  writeFileSync(
    config,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: s, cluster: {server: "${api.url.replace('127.0.0.1', 'localhost')}", certificate-authority-data: ${Buffer.from(api.ca).toString('base64')}}}]`,
      'users: [{name: u, user: {token: stand-in-token}}]',
      'contexts: [{name: s, context: {cluster: s, user: u, namespace: prod}}]',
      'current-context: s',
      '',
    ].join('\n'),
  );
  service = createServer((_request, response) => response.end('pod says hi\n'));
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  api.exposePort('prod', 'web-0', 8080, { host: '127.0.0.1', port: (service.address() as AddressInfo).port });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await new Promise<void>((resolve) => (service ? service.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
  rmSync(api.certificate.dir, { recursive: true, force: true });
});

const spdyExec = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };

describe('the stand-in API server with kubectl (no Postern)', () => {
  test('exec over SPDY/3.1: stdin to stdout, stderr, and the exit code', async () => {
    const cat = await kubectl(['exec', '-i', 'web-0', '--', 'cat'], spdyExec, { input: 'over spdy\n' });
    expect(cat).toMatchObject({ code: 0, stdout: 'over spdy\n' });
    expect(api.execStdin.get('prod/web-0')).toContain('over spdy');
    const failing = await kubectl(['exec', 'web-0', '--', 'sh', '-c', 'echo out; nope; exit 3'], spdyExec);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toBe('out\n');
    expect(failing.stderr).toContain('nope: command not found');
    const upgrades = api.requests.filter((r) => r.path.endsWith('/exec'));
    expect(upgrades.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 101', 'POST 101']);
    // The stand-in sees kubectl's connection close once kubectl is done with it.
    await waitFor(() => api.openExecs() === 0, { timeoutMs: 5_000 });
  }, 60_000);

  for (const [path, env, method] of [
    ['the WebSocket tunnel', {}, 'GET'],
    ['plain SPDY/3.1', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'POST'],
  ] as const) {
    test(`port-forward over ${path} reaches the pod's service, connection after connection`, async () => {
      const before = api.requests.length;
      let stdout = '';
      let child: ChildProcess | undefined;
      let announced!: (port: number) => void;
      const listening = new Promise<number>((resolve) => (announced = resolve));
      const running = kubectl(['port-forward', '--address', '127.0.0.1', 'pod/web-0', '0:8080'], env, {
        onSpawn: (spawned) => {
          child = spawned;
          spawned.stdout?.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout);
            if (match) announced(Number(match[1]));
          });
        },
      });
      const port = await Promise.race([
        listening,
        running.then((result) => {
          throw new Error(`kubectl port-forward exited: ${result.stderr}`);
        }),
      ]);
      for (let i = 0; i < 3; i += 1) {
        const answer = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
        expect(await answer.text()).toBe('pod says hi\n');
      }
      child?.kill('SIGTERM');
      await running;
      const upgrades = api.requests.slice(before).filter((r) => r.path.endsWith('/portforward'));
      expect(upgrades.map((r) => `${r.method} ${r.status}`)).toEqual([`${method} 101`]);
    }, 60_000);
  }
});
