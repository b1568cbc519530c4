// kubectl 1.32 `port-forward` through the Kubernetes engine, against the stand-in API server of
// libs/testing (it stands in for a real cluster, none can run here; its port-forward is the
// kubelet's protocol, portforward.k8s.io over SPDY/3.1, tunnelled in a WebSocket) whose pod port
// reaches a real HTTP server started by the test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseCommandMatch, type ApprovalRuleInput, type StatementRuleInput } from '@postern/policy';
import { KUBERNETES_DIALECT } from '@postern/policy-kubernetes';
import { waitFor } from '@postern/testing';
import { ALICE, KubeGateway, kubectl, portForward } from './kubernetes-harness.js';

const rule = (id: string, match: object): StatementRuleInput => ({
  id,
  name: id,
  connectionIds: [],
  groups: [],
  match: parseCommandMatch(KUBERNETES_DIALECT, match),
});
const approval = (id: string, match: object): ApprovalRuleInput => ({
  ...rule(id, match),
  approverGroups: ['sre'],
  requiredApprovals: 1,
  timeoutSeconds: 600,
});

const BODY = 'hello from the pod, through postern\n';

let gateway: KubeGateway;
let config: string;
let service: Server;

beforeAll(async () => {
  gateway = await KubeGateway.start();
  config = gateway.kubeconfig();
  service = createServer((request, response) => {
    let received = '';
    request.on('data', (chunk: Buffer) => (received += chunk.toString()));
    request.on('end', () => response.end(received === '' ? BODY : `echo: ${received}`));
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const target = { host: '127.0.0.1', port: (service.address() as AddressInfo).port };
  for (const namespace of ['prod', 'kube-system']) gateway.apiServer.exposePort(namespace, 'web-0', 8080, target);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await new Promise<void>((resolve) => (service ? service.close(() => resolve()) : resolve()));
});

describe('kubectl port-forward through the Kubernetes engine', () => {
  test('forwards a local port to the pod over the WebSocket tunnel; the request and the forwarded bytes are recorded', async () => {
    const forward = await portForward(config, ['pod/web-0', '0:8080']);
    try {
      const first = await fetch(`http://127.0.0.1:${forward.port}/`);
      expect(await first.text()).toBe(BODY);
      const echoed = await fetch(`http://127.0.0.1:${forward.port}/`, { method: 'POST', body: 'ping 42' });
      expect(await echoed.text()).toBe('echo: ping 42');
    } finally {
      await forward.stop();
    }
    // kubectl took the WebSocket path (GET with the tunnel subprotocol), not the SPDY fallback.
    const upgrades = gateway.apiServer.requests.filter((r) => r.path.endsWith('/portforward'));
    expect(upgrades).toEqual([
      expect.objectContaining({
        method: 'GET',
        status: 101,
        impersonateUser: ALICE.login,
        impersonateGroups: ALICE.groups,
      }),
    ]);
    await waitFor(() => gateway.events('kubernetes.request').some((e) => e['subresource'] === 'portforward'), {
      timeoutMs: 10_000,
    });
    const recorded = gateway.events('kubernetes.request').find((e) => e['subresource'] === 'portforward')!;
    expect(recorded).toMatchObject({ resource: 'pods', name: 'web-0', namespace: 'prod', status: 101 });
    // Both HTTP exchanges crossed the engine (request and answer bytes, SPDY-framed).
    expect(recorded['bytesFromClient']).toBeGreaterThan('POST / HTTP/1.1\r\n'.length + 'ping 42'.length);
    expect(recorded['bytesFromTarget']).toBeGreaterThan(BODY.length + 'echo: ping 42'.length);
    // The forwarded TCP traffic itself is recorded: port, bytes each way, the HTTP exchanges.
    await waitFor(() => gateway.events('kubernetes.portforward').length > 0, { timeoutMs: 10_000 });
    const forwarded = gateway.events('kubernetes.portforward');
    expect(forwarded.every((e) => e['port'] === 8080 && e['pod'] === 'web-0' && e['namespace'] === 'prod')).toBe(true);
    const toPod = forwarded.map((e) => String(e['toPod'] ?? '')).join('');
    const fromPod = forwarded.map((e) => String(e['fromPod'] ?? '')).join('');
    expect(toPod).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    expect(toPod).toContain('POST / HTTP/1.1\r\n');
    expect(toPod).toContain('ping 42');
    expect(fromPod).toContain(BODY);
    expect(fromPod).toContain('echo: ping 42');
    expect(forwarded.reduce((sum, e) => sum + Number(e['bytesToPod']), 0)).toBe(Buffer.byteLength(toPod));
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({
        kind: 'kubernetes.request',
        decision: 'forwarded',
        details: expect.objectContaining({ subresource: 'portforward', name: 'web-0', status: 101 }),
      }),
    );
  }, 60_000);

  test("a port nothing listens on: the kubelet's error reaches kubectl and the recording", async () => {
    const forward = await portForward(config, ['pod/web-0', '0:9999']);
    await expect(fetch(`http://127.0.0.1:${forward.port}/`)).rejects.toThrow();
    await waitFor(() => gateway.events('kubernetes.portforward').some((e) => e['port'] === 9999), {
      timeoutMs: 10_000,
    });
    const exit = await forward.stop();
    expect(exit.stderr).toContain('error forwarding port 9999');
    expect(gateway.events('kubernetes.portforward').find((e) => e['port'] === 9999)).toMatchObject({
      bytesFromPod: 0,
      error: expect.stringContaining('connection refused'),
    });
  }, 60_000);

  test('a rule blocking PORTFORWARD refuses it with a 403 naming the rule; the API server never sees it', async () => {
    gateway.setPolicy({ guardrails: [rule('no-port-forward', { statementKinds: ['PORTFORWARD'] })] });
    try {
      const before = gateway.apiServer.requests.length;
      const refused = await kubectl(config, ['port-forward', 'pod/web-0', '0:8080'], { timeoutMs: 30_000 });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('no-port-forward');
      expect(gateway.apiServer.requests.slice(before).some((r) => r.path.endsWith('/portforward'))).toBe(false);
      expect(gateway.audits).toContainEqual(
        expect.objectContaining({ kind: 'statement.blocked', ruleId: 'no-port-forward' }),
      );
    } finally {
      gateway.setPolicy({});
    }
  }, 60_000);

  test('a port-forward held for approval forwards once approved', async () => {
    gateway.setPolicy({ approvals: [approval('port-forward-needs-approval', { statementKinds: ['PORT-FORWARD'] })] });
    try {
      const starting = portForward(config, ['pod/web-0', '0:8080']);
      await waitFor(() => gateway.held.length > 0, { timeoutMs: 30_000 });
      const held = gateway.held.shift()!;
      expect(held.ruleId).toBe('port-forward-needs-approval');
      expect(held.command).toMatch(/^GET \/api\/v1\/namespaces\/prod\/pods\/web-0\/portforward/);
      held.decide({ outcome: 'approved', decidedBy: 'bob@example.com', comment: 'debugging' });
      const forward = await starting;
      try {
        expect(await (await fetch(`http://127.0.0.1:${forward.port}/`)).text()).toBe(BODY);
      } finally {
        await forward.stop();
      }
      expect(gateway.held).toHaveLength(0);
    } finally {
      gateway.setPolicy({});
    }
  }, 60_000);

  test('a revoked credential ends a running port-forward in under a second', async () => {
    const revokable = gateway.kubeconfig();
    const forward = await portForward(revokable, ['pod/web-0', '0:8080']);
    expect(await (await fetch(`http://127.0.0.1:${forward.port}/`)).text()).toBe(BODY);
    await waitFor(() => gateway.apiServer.openPortForwards() === 1, { timeoutMs: 10_000 });
    const revokedAt = Date.now();
    gateway.revoke(ALICE.credential);
    await waitFor(() => gateway.apiServer.openPortForwards() === 0, { timeoutMs: 5_000, intervalMs: 10 });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    // kubectl notices its tunnel is gone and quits with an error; the local port no longer forwards.
    const exit = await forward.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.stderr).toMatch(/lost connection to pod|error/i);
    await expect(fetch(`http://127.0.0.1:${forward.port}/`)).rejects.toThrow();
  }, 60_000);
});
