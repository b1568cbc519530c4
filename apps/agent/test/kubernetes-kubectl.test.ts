// The Kubernetes engine with the real kubectl 1.32 against the stand-in API server of
// libs/testing, which stands in for a real cluster (none can run on these machines; see
// docs/engines.md for running the same cases against kind/k3d).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseCommandMatch, type ApprovalRuleInput, type StatementRuleInput } from '@postern/policy';
import { KUBERNETES_DIALECT, MASKED_BASE64 } from '@postern/policy-kubernetes';
import { waitFor } from '@postern/testing';
import { ALICE, KubeGateway, kubectl } from './kubernetes-harness.js';

const guardrail = (id: string, match: object): StatementRuleInput => ({
  id,
  name: id,
  connectionIds: [],
  groups: [],
  match: parseCommandMatch(KUBERNETES_DIALECT, match),
});
const approval = (id: string, match: object): ApprovalRuleInput => ({
  ...guardrail(id, match),
  approverGroups: ['sre'],
  requiredApprovals: 1,
  timeoutSeconds: 600,
});

const SECRET_VALUE = Buffer.from('hunter2-db-password').toString('base64');

let gateway: KubeGateway;
let config: string;

beforeAll(async () => {
  gateway = await KubeGateway.start({
    guardrails: [
      guardrail('no-delete-namespace', { statementKinds: ['DELETE'], relations: ['namespaces'] }),
      guardrail('no-exec-kube-system', { statementKinds: ['EXEC'], schemas: ['kube-system'] }),
    ],
    approvals: [
      approval('prod-deployment-delete', {
        statementKinds: ['DELETE'],
        relations: ['deployments.apps'],
        schemas: ['prod'],
      }),
    ],
  });
  config = gateway.kubeconfig();
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
});

describe('kubectl through the Kubernetes engine', () => {
  test('get -o wide, describe, all namespaces; the API server sees alice impersonated and the agent token', async () => {
    const wide = await kubectl(config, ['get', 'pods', '-o', 'wide']);
    expect(wide.stderr).toBe('');
    expect(wide.stdout).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(wide.stdout).toMatch(/web-0\s+1\/1\s+Running\s+0\s+\S+\s+10\.0\.0\.7\s+node-1/);
    const described = await kubectl(config, ['describe', 'pod', 'web-0']);
    expect(described.stdout).toMatch(/Namespace:\s+prod/);
    expect(described.stdout).toMatch(/Image:\s+nginx:1\.27/);
    const all = await kubectl(config, ['get', 'deployments', '-A']);
    expect(all.stdout).toMatch(/kube-system\s+web\s+2\/2/);

    const seen = gateway.apiServer.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/prod/pods'));
    expect(seen.length).toBeGreaterThan(0);
    for (const request of gateway.apiServer.requests) {
      expect(request.status).not.toBe(401);
      expect(request.impersonateUser).toBe(ALICE.login);
      expect(request.impersonateGroups).toEqual(ALICE.groups);
    }
    const recorded = gateway.events('kubernetes.request');
    expect(recorded).toContainEqual(
      expect.objectContaining({ method: 'GET', verb: 'list', resource: 'pods', namespace: 'prod', status: 200 }),
    );
    expect(recorded).toContainEqual(
      expect.objectContaining({ verb: 'get', resource: 'pods', name: 'web-0', status: 200 }),
    );
  }, 60_000);

  test('impersonation headers a client sends are stripped; only the verified identity reaches the API server', async () => {
    const before = gateway.apiServer.requests.length;
    const result = await kubectl(config, ['get', 'configmaps', '--as', 'system:admin', '--as-group', 'system:masters']);
    expect(result.code).toBe(0);
    const seen = gateway.apiServer.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.impersonateUser).toBe(ALICE.login);
      expect(request.impersonateGroups).toEqual(ALICE.groups);
      expect(request.otherImpersonation).toEqual({});
    }
  }, 60_000);

  test('apply creates then patches a ConfigMap (client-side and server-side apply)', async () => {
    const manifest = (color: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  color: ${color}\n`;
    const created = await kubectl(config, ['apply', '-f', '-'], { input: manifest('green') });
    expect(created.stdout).toContain('configmap/app-config created');
    const changed = await kubectl(config, ['apply', '-f', '-'], { input: manifest('red') });
    expect(changed.stdout).toContain('configmap/app-config configured');
    const serverSide = await kubectl(config, ['apply', '--server-side', '-f', '-'], { input: manifest('blue') });
    expect(serverSide.stdout).toContain('serverside-applied');
    expect(gateway.apiServer.store.get('/configmaps', 'prod', 'app-config')?.['data']).toEqual({ color: 'blue' });
  }, 60_000);

  test('secrets are masked in -o yaml, -o json, lists and the last-applied annotation; tables still work', async () => {
    const manifest =
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\nstringData:\n  token: s3cr3t-applied-value\n';
    expect((await kubectl(config, ['apply', '-f', '-'], { input: manifest })).code).toBe(0);
    const yaml = await kubectl(config, ['get', 'secret', 'db', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain(`password: ${MASKED_BASE64}`);
    expect(yaml.stdout).not.toContain(SECRET_VALUE);
    const json = await kubectl(config, ['get', 'secrets', '-o', 'json']);
    const list = JSON.parse(json.stdout) as { items: { metadata: { name: string }; data?: Record<string, string> }[] };
    expect(list.items.map((item) => item.metadata.name).sort()).toEqual(['applied', 'db']);
    expect(json.stdout).not.toContain(SECRET_VALUE);
    expect(json.stdout).not.toContain('s3cr3t-applied-value');
    expect(list.items.find((item) => item.metadata.name === 'db')?.data).toEqual({ password: MASKED_BASE64 });
    const table = await kubectl(config, ['get', 'secrets', '-o', 'wide']);
    expect(table.stdout).toMatch(/db\s+Opaque\s+1/);
    const described = await kubectl(config, ['describe', 'secret', 'db']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/password:\s+8 bytes/);
    // The stand-in still holds the real value: only the client's copy was masked.
    expect(gateway.apiServer.store.get('/secrets', 'prod', 'db')?.['data']).toEqual({ password: SECRET_VALUE });
    expect(gateway.events('kubernetes.request')).toContainEqual(
      expect.objectContaining({ resource: 'secrets', name: 'db', masked: 1 }),
    );
  }, 60_000);

  test('secrets are masked in a watch, event by event, as they stream', async () => {
    let stdout = '';
    let child: import('node:child_process').ChildProcess | undefined;
    const running = kubectl(config, ['get', 'secrets', '--watch', '-o', 'json'], {
      onSpawn: (spawned) => {
        child = spawned;
        spawned.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      },
    });
    await waitFor(() => stdout.includes('"db"'), { timeoutMs: 30_000 });
    gateway.apiServer.store.put('/secrets', {
      metadata: { name: 'streamed', namespace: 'prod' },
      data: { key: Buffer.from('streamed-secret-value').toString('base64') },
    });
    await waitFor(() => stdout.includes('"streamed"'), { timeoutMs: 30_000 });
    child?.kill('SIGTERM');
    await running;
    expect(stdout).toContain(MASKED_BASE64);
    expect(stdout).not.toContain(SECRET_VALUE);
    expect(stdout).not.toContain(Buffer.from('streamed-secret-value').toString('base64'));
  }, 60_000);

  test('forbidden verbs get a Kubernetes 403 naming the rule; the API server never sees them', async () => {
    const before = gateway.apiServer.requests.length;
    const deleted = await kubectl(config, ['delete', 'namespace', 'default']);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain('Error from server (Forbidden)');
    expect(deleted.stderr).toContain('blocked by rule "no-delete-namespace"');
    const exec = await kubectl(config, ['exec', '-n', 'kube-system', 'web-0', '--', 'echo', 'hi']);
    expect(exec.code).not.toBe(0);
    expect(exec.stderr).toContain('no-exec-kube-system');
    expect(gateway.apiServer.requests.slice(before).some((r) => r.method === 'DELETE')).toBe(false);
    expect(gateway.apiServer.store.get('/namespaces', '', 'default')).toBeDefined();
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({ kind: 'statement.blocked', ruleId: 'no-delete-namespace' }),
    );
  }, 60_000);

  test('delete deployment in prod is held for approval, then goes through once approved', async () => {
    const running = kubectl(config, ['delete', 'deployment', 'web', '--wait=false']);
    await waitFor(() => gateway.held.length > 0, { timeoutMs: 30_000 });
    const held = gateway.held.shift()!;
    expect(held.ruleId).toBe('prod-deployment-delete');
    expect(held.command).toBe('DELETE /apis/apps/v1/namespaces/prod/deployments/web');
    expect(gateway.apiServer.store.get('apps/deployments', 'prod', 'web')).toBeDefined();
    held.decide({ outcome: 'approved', decidedBy: 'bob@example.com', comment: 'ok' });
    const result = await running;
    expect(result.stdout).toContain('deployment.apps "web" deleted');
    expect(gateway.apiServer.store.get('apps/deployments', 'prod', 'web')).toBeUndefined();
    expect(gateway.audits).toContainEqual(
      expect.objectContaining({
        kind: 'kubernetes.request',
        decision: 'forwarded',
        details: expect.objectContaining({ verb: 'delete', resource: 'deployments', name: 'web', status: 200 }),
      }),
    );

    const rejected = kubectl(config, [
      'delete',
      'deployment',
      'web',
      '-n',
      'prod',
      '--wait=false',
      '--ignore-not-found',
    ]);
    gateway.apiServer.store.put('apps/deployments', {
      metadata: { name: 'web', namespace: 'prod' },
      spec: { replicas: 1 },
    });
    await waitFor(() => gateway.held.length > 0, { timeoutMs: 30_000 });
    gateway.held.shift()!.decide({ outcome: 'rejected', decidedBy: 'bob@example.com', comment: 'not now' });
    const refused = await rejected;
    expect(refused.stderr).toContain('was not approved: rejected by bob@example.com: not now');
    expect(gateway.apiServer.store.get('apps/deployments', 'prod', 'web')).toBeDefined();
  }, 90_000);

  test('exec with stdin and the exit code, recorded as asciicast', async () => {
    const cat = await kubectl(config, ['exec', '-i', 'web-0', '--', 'cat'], { input: 'hello through postern\n' });
    expect(cat.code).toBe(0);
    expect(cat.stdout).toBe('hello through postern\n');
    expect(gateway.apiServer.execStdin.get('prod/web-0')).toContain('hello through postern');
    const failing = await kubectl(config, ['exec', 'web-0', '--', 'sh', '-c', 'echo about to fail; exit 3']);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toBe('about to fail\n');
    await waitFor(() => gateway.events('kubernetes.exec.end').length >= 2, { timeoutMs: 10_000 });
    expect(gateway.events('kubernetes.exec')).toContainEqual(
      expect.objectContaining({ pod: 'web-0', namespace: 'prod', command: ['cat'], protocol: 'v5.channel.k8s.io' }),
    );
    const output = gateway.events('kubernetes.exec.output');
    expect(output).toContainEqual(
      expect.objectContaining({ event: [expect.any(Number), 'i', 'hello through postern\n'] }),
    );
    expect(output).toContainEqual(expect.objectContaining({ event: [expect.any(Number), 'o', 'about to fail\n'] }));
    expect(
      gateway
        .events('kubernetes.exec.end')
        .map((e) => e['exitCode'])
        .sort(),
    ).toEqual([0, 3]);
  }, 60_000);

  test('an exec held for approval runs once approved; rejected, reviewers are asked once (the SPDY fallback is refused)', async () => {
    gateway.setPolicy({ approvals: [approval('exec-needs-approval', { statementKinds: ['EXEC'] })] });
    try {
      const approved = kubectl(config, ['exec', 'web-0', '--', 'echo', 'approved run']);
      await waitFor(() => gateway.held.length > 0, { timeoutMs: 30_000 });
      gateway.held.shift()!.decide({ outcome: 'approved', decidedBy: 'bob@example.com', comment: '' });
      expect((await approved).stdout).toBe('approved run\n');

      const rejected = kubectl(config, ['exec', 'web-0', '--', 'echo', 'never']);
      await waitFor(() => gateway.held.length > 0, { timeoutMs: 30_000 });
      const held = gateway.held.shift()!;
      expect(held.command).toMatch(/^GET \/api\/v1\/namespaces\/prod\/pods\/web-0\/exec\?command=echo&command=never/);
      held.decide({ outcome: 'rejected', decidedBy: 'bob@example.com', comment: 'no' });
      const result = await rejected;
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('was not approved: rejected by bob@example.com: no');
      expect(gateway.held).toHaveLength(0);
    } finally {
      gateway.setPolicy({});
    }
  }, 90_000);

  test("the API server's refusal of an exec upgrade (RBAC) reaches kubectl in the API server's words", async () => {
    gateway.apiServer.forbidden.add('prod/pods/exec');
    try {
      const result = await kubectl(config, ['exec', 'web-0', '--', 'echo', 'hi']);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(
        'pods "web-0" is forbidden: User "alice@example.com" cannot create resource "pods/exec" in API group "" in the namespace "prod"',
      );
      expect(gateway.events('kubernetes.request')).toContainEqual(
        expect.objectContaining({
          subresource: 'exec',
          status: 403,
          refused: expect.stringContaining('pods "web-0" is forbidden'),
        }),
      );
    } finally {
      gateway.apiServer.forbidden.delete('prod/pods/exec');
    }
  }, 60_000);

  test('logs -f streams lines as the pod writes them', async () => {
    gateway.apiServer.appendLog('prod', 'web-0', 'first line');
    let stdout = '';
    let child: import('node:child_process').ChildProcess | undefined;
    const running = kubectl(config, ['logs', '-f', 'web-0'], {
      onSpawn: (spawned) => {
        child = spawned;
        spawned.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      },
    });
    await waitFor(() => stdout.includes('first line'), { timeoutMs: 30_000 });
    gateway.apiServer.appendLog('prod', 'web-0', 'second line, live');
    await waitFor(() => stdout.includes('second line, live'), { timeoutMs: 10_000 });
    child?.kill('SIGTERM');
    await running;
  }, 60_000);

  test('a revoked credential ends a running exec in under a second', async () => {
    const revokable = gateway.kubeconfig();
    let child: import('node:child_process').ChildProcess | undefined;
    const running = kubectl(revokable, ['exec', 'web-0', '--', 'sleep', '600'], {
      onSpawn: (spawned) => (child = spawned),
    });
    await waitFor(() => gateway.apiServer.openExecs() === 1, { timeoutMs: 30_000 });
    const revokedAt = Date.now();
    gateway.revoke(ALICE.credential);
    await waitFor(() => gateway.apiServer.openExecs() === 0, { timeoutMs: 5_000, intervalMs: 10 });
    // The promise made to operators (DESIGN.md §4): the exec is cut at the API server within a
    // second of the revocation (the agent's part: no timer, the abort destroys both sockets).
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    const result = await running;
    expect(result.code).not.toBe(0);
    expect(child?.exitCode).not.toBe(0);
    const again = await kubectl(revokable, ['get', 'pods']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/Unauthorized|must be logged in/);
  }, 60_000);
});
