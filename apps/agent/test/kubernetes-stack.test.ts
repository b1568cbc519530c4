// The Kubernetes engine in the real agent, enrolled in the real control plane (libs/testing's
// stack), in front of the stand-in API server (a real kube-apiserver cannot run on these
// machines): a KUBERNETES connection created through GraphQL (the service-account token and the
// API server's CA as file references the agent's allow-list names), a `kubernetes` guardrail
// and a `kubernetes` masking rule validated by the control plane and enforced by the agent, a
// minted credential as kubectl's bearer token, and the sessions reported back with their
// recordings.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  seedStandIn,
  selfSignedCertificate,
  startStack,
  startStandInApiServer,
  waitFor,
  type CertificateFiles,
  type StandInApiServer,
  type TestStack,
} from '@postern/testing';
import { freePort } from './ssh-harness.js';
import { kubectl } from './kubernetes-harness.js';

const SA_TOKEN = 'stack-service-account-token';
let apiServer: StandInApiServer;
let ingress: CertificateFiles;
let stack: TestStack;
let port: number;
let kubeconfig: string;
let connectionId: string;

async function admin<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (!response.data) throw new Error(response.errors?.[0]?.message ?? 'no data');
  return response.data;
}

beforeAll(async () => {
  apiServer = await startStandInApiServer({ token: SA_TOKEN });
  seedStandIn(apiServer.store);
  ingress = await selfSignedCertificate(['localhost']);
  const tokenFile = join(ingress.dir, 'sa-token');
  const caFile = join(ingress.dir, 'apiserver-ca.crt');
  writeFileSync(tokenFile, SA_TOKEN, { mode: 0o600 });
  writeFileSync(caFile, apiServer.ca);
  port = await freePort();
  const apiPort = Number(new URL(apiServer.url).port);
  stack = await startStack({ name: 'kubernetes_stack' });
  const agent = await stack.enrollAgent('kube-agent', {
    POSTERN_AGENT_KUBERNETES_LISTEN: `127.0.0.1:${port}`,
    POSTERN_AGENT_TLS_CERT_FILE: ingress.certFile,
    POSTERN_AGENT_TLS_KEY_FILE: ingress.keyFile,
    POSTERN_AGENT_SECRET_ALLOW: `file:${tokenFile},file:${caFile}`,
    POSTERN_AGENT_TARGET_ALLOW: `127.0.0.1:${apiPort}`,
  });
  const created = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'prod-cluster',
        protocol: 'KUBERNETES',
        agentId: agent.id,
        url: apiServer.url,
        secretRef: `file:${tokenFile}`,
        tlsCaRef: `file:${caFile}`,
      },
    },
  );
  connectionId = created.createConnection.id;
  const user = await admin<{ createUser: { id: string } }>(
    'mutation { createUser(input: { email: "alice@example.com", groups: ["engineers"] }) { id } }',
    {},
  );
  await admin(
    'mutation($c: ID!) { createAccessRule(input: { connectionId: $c, groups: ["engineers"], operations: ["read", "write", "exec"] }) { id } }',
    { c: connectionId },
  );
  await admin(
    'mutation { createGuardrail(input: { name: "no reading secrets", dialect: "kubernetes", match: { statementKinds: ["GET", "LIST", "WATCH"], relations: ["secrets"] } }) { id } }',
    {},
  );
  await admin(
    'mutation { createMaskingRule(input: { name: "config passwords", dialect: "kubernetes", spec: { columns: ["*_password"], detectors: ["email"], style: "redact" } }) { id } }',
    {},
  );
  apiServer.store.put('/configmaps', {
    metadata: { name: 'app', namespace: 'prod' },
    data: { db_password: 'stack-configmap-password', owner: 'team lead: dana@example.com', mode: 'green' },
  });
  const minted = await admin<{ mintConnectionCredential: { password: string } }>(
    'mutation($c: ID!, $u: ID!) { mintConnectionCredential(input: { connectionId: $c, userId: $u, ttlSeconds: 3600 }) { password } }',
    { c: connectionId, u: user.createUser.id },
  );
  kubeconfig = join(ingress.dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: p, cluster: {server: "https://localhost:${port}/k8s/prod-cluster", certificate-authority-data: ${Buffer.from(ingress.cert).toString('base64')}}}]`,
      `users: [{name: alice, user: {token: "${minted.mintConnectionCredential.password}"}}]`,
      'contexts: [{name: p, context: {cluster: p, user: alice, namespace: prod}}]',
      'current-context: p',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await apiServer?.close();
});

describe('Kubernetes through the built agent and control plane', () => {
  test('kubectl works with impersonation, the guardrail from GraphQL refuses secrets, its masking rule masks ConfigMaps, sessions are recorded', async () => {
    // The agent learns the connection from its next policy snapshot.
    const pods = await waitFor(
      async () => {
        const result = await kubectl(kubeconfig, ['get', 'pods']);
        return result.code === 0 ? result : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'kubectl get pods through the agent' },
    );
    expect(pods.stdout).toMatch(/web-0\s+1\/1\s+Running/);
    const seen = apiServer.requests.filter((r) => r.path === '/api/v1/namespaces/prod/pods');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.impersonateUser === 'alice@example.com')).toBe(true);
    expect(seen[0]!.impersonateGroups).toEqual(['engineers']);

    const secrets = await kubectl(kubeconfig, ['get', 'secret', 'db', '-o', 'yaml']);
    expect(secrets.code).not.toBe(0);
    expect(secrets.stderr).toContain('Error from server (Forbidden)');
    expect(secrets.stderr).toContain('blocked by rule "no reading secrets"');
    expect(apiServer.requests.some((r) => r.path.includes('/secrets'))).toBe(false);

    // The masking rule made through GraphQL reaches the agent and masks ConfigMap values.
    const configMap = await kubectl(kubeconfig, ['get', 'configmap', 'app', '-o', 'json']);
    expect(JSON.parse(configMap.stdout).data).toEqual({
      db_password: '********',
      owner: 'team lead: ****',
      mode: 'green',
    });

    const exec = await kubectl(kubeconfig, ['exec', 'web-0', '--', 'sh', '-c', 'echo from the pod; exit 2']);
    expect(exec.code).toBe(2);
    expect(exec.stdout).toBe('from the pod\n');

    type Row = { status: string; endReason: string | null };
    const sessions = await waitFor(
      async () => {
        const data = await admin<{ sessions: Row[] }>(
          'query($c: ID!) { sessions(connectionId: $c) { status endReason } }',
          {
            c: connectionId,
          },
        );
        const closed = data.sessions.filter((s) => s.status === 'CLOSED');
        return closed.length > 0 ? closed : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'closed Kubernetes sessions in the control plane' },
    );
    expect(sessions.map((s) => s.endReason)).toContain('client_closed');
  }, 180_000);
});
