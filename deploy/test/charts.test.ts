// The Helm charts as a platform team meets them: `helm lint --strict` and `helm template` (real
// helm v4, unzipped offline from an npm package) over several values files, every rendered object
// validated against the Kubernetes API schemas (kubernetes-models: types, required fields, enums),
// and assertions on what a reviewer of the charts checks first. No cluster runs here; `helm
// install` on a real cluster is documented in docs/deploy.md.
/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML, read by path in assertions */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
// @ts-expect-error -- a plain ESM script without types
import { ensureHelm } from '../scripts/helm.mjs';
// @ts-expect-error -- a plain ESM script without types
import { renderChartReadme } from '../scripts/chart-readme.mjs';

const deployDir = dirname(dirname(fileURLToPath(import.meta.url)));
const charts = { agent: join(deployDir, 'helm/postern-agent'), cp: join(deployDir, 'helm/postern-control-plane') };
const valuesDir = join(deployDir, 'test/values');
let helm: string;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

function run(args: string[]): { status: number; out: string } {
  const result = spawnSync(helm, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: '/tmp/postern-helm-cache' },
  });
  return { status: result.status ?? 1, out: `${result.stdout}${result.stderr}` };
}

function render(chart: string, ...args: string[]): K8sObject[] {
  const { status, out } = run(['template', 'rel', chart, '--namespace', 'postern', ...args]);
  if (status !== 0) throw new Error(out);
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function renderRaw(chart: string, ...args: string[]): string {
  const { status, out } = run(['template', 'rel', chart, '--namespace', 'postern', ...args]);
  if (status !== 0) throw new Error(out);
  return out;
}

const scenarios = (prefix: string) =>
  readdirSync(valuesDir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => [f, join(valuesDir, f)] as const);
const agentScenarios = [['defaults', null] as const, ...scenarios('agent-')];
const cpScenarios = [['defaults', null] as const, ...scenarios('cp-')];

/** The model class of an object's apiVersion/kind, from kubernetes-models. */
async function validate(object: K8sObject): Promise<void> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  // The Prometheus Operator's kinds come from its own models package (its CRDs' schemas).
  const path =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${object.kind}`
      : group
        ? `kubernetes-models/${group}/${version}/${object.kind}`
        : `kubernetes-models/${version}/${object.kind}`;
  const module = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[object.kind]!;
  new Model(object).validate();
}

function podSpecs(objects: K8sObject[]): { owner: string; spec: Record<string, any> }[] {
  const specs: { owner: string; spec: Record<string, any> }[] = [];
  for (const o of objects) {
    const owner = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Pod') specs.push({ owner, spec: o.spec as Record<string, any> });
    if (['Deployment', 'StatefulSet', 'Job'].includes(o.kind)) {
      specs.push({ owner, spec: (o.spec as any).template.spec });
    }
  }
  return specs;
}

beforeAll(() => {
  helm = ensureHelm();
  expect(run(['version', '--short']).out).toMatch(/^v4\./);
});

describe.each([
  ['postern-agent', charts.agent, agentScenarios],
  ['postern-control-plane', charts.cp, cpScenarios],
] as const)('%s chart', (_name, chart, cases) => {
  test.each(cases)('helm lint --strict passes with %s values', (_case, file) => {
    const { status, out } = run(['lint', '--strict', chart, ...(file ? ['-f', file] : [])]);
    expect({ status, out }).toMatchObject({ status: 0 });
  });

  test.each(cases)(
    'every object rendered with %s values is valid against the Kubernetes schema',
    async (_case, file) => {
      const objects = render(chart, ...(file ? ['-f', file] : []));
      expect(objects.length).toBeGreaterThan(3);
      for (const object of objects) {
        await expect(validate(object)).resolves.toBeUndefined();
      }
    },
  );

  test.each(cases)('no pod rendered with %s values can escalate: restricted pod security', (_case, file) => {
    const specs = podSpecs(render(chart, ...(file ? ['-f', file] : [])));
    expect(specs.length).toBeGreaterThan(0);
    for (const { owner, spec } of specs) {
      expect({ owner, hostNetwork: spec.hostNetwork ?? false, hostPID: spec.hostPID ?? false }).toEqual({
        owner,
        hostNetwork: false,
        hostPID: false,
      });
      expect({ owner, pod: spec.securityContext }).toMatchObject({
        owner,
        pod: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      });
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect({ owner, container: container.name, sc: container.securityContext }).toEqual({
          owner,
          container: container.name,
          sc: expect.objectContaining({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        });
        expect(container.securityContext.privileged ?? false).toBe(false);
        expect(container.securityContext.capabilities.add ?? []).toEqual([]);
        expect(container.resources?.limits?.memory).toBeTruthy();
      }
    }
  });

  test('a helm test hook is defined and only runs a check', () => {
    const hooks = render(chart).filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.kind).toBe('Pod');
    expect((hooks[0]!.spec as any).restartPolicy).toBe('Never');
  });

  test('values of the wrong shape fail helm lint (values.schema.json)', () => {
    for (const bad of ['replicas=-1', 'logLevel=loud', 'unknownSetting=1', 'image.pullPolicy=Sometimes']) {
      const { status, out } = run(['lint', '--strict', chart, '--set', bad]);
      expect({ bad, status }).toEqual({ bad, status: 1 });
      expect(out).toMatch(
        /values don't meet the specifications|schema|additional propert|minimum|value must be one of/i,
      );
    }
  });
});

describe('postern-agent specifics', () => {
  test('RBAC grants impersonation and nothing else, only when asked', () => {
    expect(render(charts.agent).filter((o) => o.kind.includes('Role'))).toEqual([]);
    const objects = render(charts.agent, '-f', join(valuesDir, 'agent-ha.yaml'));
    const role = objects.find((o) => o.kind === 'ClusterRole')!;
    const rules = role['rules'] as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    expect(rules).toEqual([
      { apiGroups: [''], resources: ['users', 'serviceaccounts'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['engineers', 'sre'] },
    ]);
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding')!;
    expect(binding['roleRef']).toMatchObject({ kind: 'ClusterRole', name: role.metadata.name });
    expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'rel-postern-agent', namespace: 'postern' }]);
    // Nothing of cluster-admin's: no wildcard anywhere, no other role.
    expect(JSON.stringify(rules)).not.toContain('*');
    expect(
      objects
        .filter((o) => /Role/.test(o.kind))
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    // Its token is mounted only then.
    const pod = (objects.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec;
    expect(pod.automountServiceAccountToken).toBe(true);
    // ...and its directory is the one secret reference added to the operator's allow-list.
    const allow = pod.containers[0].env.find((e: { name: string }) => e.name === 'POSTERN_AGENT_SECRET_ALLOW');
    expect(allow.value).toBe('env:TARGET_*,file:/var/run/secrets/kubernetes.io/serviceaccount/');
    const plain = (render(charts.agent).find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec;
    expect(plain.automountServiceAccountToken).toBe(false);
    expect(plain.containers[0].env).toContainEqual({ name: 'POSTERN_AGENT_SECRET_ALLOW', value: '' });
  });

  test('with an existing Secret the token is referenced, never inlined, and no Secret is created', () => {
    const raw = renderRaw(charts.agent, '-f', join(valuesDir, 'agent-ha.yaml'));
    const objects = render(charts.agent, '-f', join(valuesDir, 'agent-ha.yaml'));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(raw).not.toContain('postern_join_');
    const env = (objects.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec.containers[0].env;
    expect(env.find((e: { name: string }) => e.name === 'POSTERN_ENROLLMENT_TOKEN')).toEqual({
      name: 'POSTERN_ENROLLMENT_TOKEN',
      valueFrom: { secretKeyRef: { name: 'edge-join', key: 'join-token', optional: true } },
    });
  });

  test('each replica has its own identity: pod name as host name, a volume each, a join token required for replicas > 1', () => {
    const objects = render(charts.agent, '-f', join(valuesDir, 'agent-ha.yaml'));
    const sts = objects.find((o) => o.kind === 'StatefulSet')!.spec as any;
    expect(sts.replicas).toBe(3);
    expect(sts.volumeClaimTemplates[0].metadata.name).toBe('state');
    const env = sts.template.spec.containers[0].env;
    expect(env.find((e: { name: string }) => e.name === 'POSTERN_AGENT_HOSTNAME')).toEqual({
      name: 'POSTERN_AGENT_HOSTNAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    const oneTime = 'postern_enroll_0123456789abcdef0123456789abcdef_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
    const refused = run([
      'template',
      'rel',
      charts.agent,
      '--set',
      'replicas=2',
      '--set',
      `enrollment.token=${oneTime}`,
    ]);
    expect(refused.status).toBe(1);
    expect(refused.out).toContain("replicas > 1 need an agent group's join token");
    // Without persistence the state is an emptyDir (documented trade-off), and no claim template.
    const ephemeral = render(charts.agent, '-f', join(valuesDir, 'agent-inline-token-ephemeral.yaml'));
    const eSts = ephemeral.find((o) => o.kind === 'StatefulSet')!.spec as any;
    expect(eSts.volumeClaimTemplates).toBeUndefined();
    expect(eSts.template.spec.volumes).toContainEqual({ name: 'state', emptyDir: { sizeLimit: '2Gi' } });
    expect(ephemeral.filter((o) => o.kind === 'Secret')).toHaveLength(1);
  });

  test('listeners become container ports, Service ports, environment and NetworkPolicy ingress', () => {
    const objects = render(charts.agent, '-f', join(valuesDir, 'agent-ha.yaml'));
    const container = (objects.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec.containers[0];
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([
      6443, 3306, 5432, 2222, 9464,
    ]);
    const names = container.env.map((e: { name: string }) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POSTERN_AGENT_POSTGRES_LISTEN',
        'POSTERN_AGENT_MYSQL_LISTEN',
        'POSTERN_AGENT_SSH_LISTEN',
      ]),
    );
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'rel-postern-agent')!;
    expect((service.spec as any).ports.map((p: { port: number }) => p.port)).toEqual([6443, 3306, 5432, 2222]);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy')!.spec as any;
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.ingress[0]).toEqual({
      ports: [{ port: 9464, protocol: 'TCP' }],
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    });
    expect(policy.ingress[1].ports.map((p: { port: number }) => p.port)).toEqual([6443, 3306, 5432, 2222]);
    // Egress: the control plane, DNS, the declared targets — nothing else.
    expect(policy.egress).toHaveLength(4);
    expect(policy.egress[0].to).toEqual([{ ipBlock: { cidr: '203.0.113.10/32' } }]);
    expect(policy.egress[3]).toEqual({
      to: [{ ipBlock: { cidr: '10.30.0.0/16' } }],
      ports: [{ port: 22, protocol: 'TCP' }],
    });
    const noCp = run(['template', 'rel', charts.agent, '--set', 'networkPolicy.enabled=true']);
    expect(noCp.status).toBe(1);
    expect(noCp.out).toContain('the agent must reach its control plane');
  });

  test('metrics: probes on /readyz and /healthz, a ServiceMonitor with the bearer from a Secret, never inlined', () => {
    const objects = render(charts.agent, '-f', join(valuesDir, 'agent-ha.yaml'));
    const container = (objects.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.env).toContainEqual({ name: 'POSTERN_AGENT_METRICS_ADDRESS', value: '0.0.0.0:9464' });
    expect(container.env).toContainEqual({
      name: 'POSTERN_AGENT_METRICS_TOKEN_FILE',
      value: '/etc/postern/metrics-token/token',
    });
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect((monitor.spec as any).endpoints[0]).toMatchObject({
      port: 'metrics',
      authorization: { type: 'Bearer', credentials: { name: 'edge-metrics', key: 'token' } },
    });
    // The monitor selects the headless Service, which carries the metrics port.
    const headless = objects.find((o) => o.metadata.name === 'rel-postern-agent-pods')!;
    expect(headless.metadata.labels).toMatchObject((monitor.spec as any).selector.matchLabels);
    expect((headless.spec as any).ports).toContainEqual({ name: 'metrics', port: 9464, targetPort: 'metrics' });
    const podMonitor = render(charts.agent, '-f', join(valuesDir, 'agent-inline-token-ephemeral.yaml')).find(
      (o) => o.kind === 'PodMonitor',
    )!;
    expect((podMonitor.spec as any).podMetricsEndpoints[0].port).toBe('metrics');
    // Metrics off: TCP probes on the first listener instead.
    const off = render(charts.agent, '--set', 'metrics.enabled=false');
    const probe = (off.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec.containers[0].readinessProbe;
    expect(probe.tcpSocket).toEqual({ port: 5432 });
  });

  test('tracing: off by default; on, the OTLP settings, headers only from a Secret, collector egress in the NetworkPolicy', async () => {
    const env = (objects: K8sObject[]) =>
      (objects.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec.containers[0].env as any[];
    expect(env(render(charts.agent)).some((e) => e.name === 'POSTERN_TRACING')).toBe(false);
    const objects = render(
      charts.agent,
      '-f',
      join(valuesDir, 'agent-ha.yaml'),
      '--set',
      'tracing.enabled=true',
      '--set',
      'tracing.endpoint=http://otel-collector.observability:4318',
      '--set',
      'tracing.headersSecret=otel-api-key',
      '--set-json',
      'tracing.egressTo=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"observability"}}}]',
    );
    expect(env(objects)).toEqual(
      expect.arrayContaining([
        { name: 'POSTERN_TRACING', value: 'otlp' },
        { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability:4318' },
        { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
        { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_always_on' },
        {
          name: 'OTEL_EXPORTER_OTLP_HEADERS',
          valueFrom: { secretKeyRef: { name: 'otel-api-key', key: 'headers' } },
        },
      ]),
    );
    const policy = objects.find((o) => o.kind === 'NetworkPolicy')!;
    expect((policy.spec as any).egress).toContainEqual({
      ports: [{ port: 4318, protocol: 'TCP' }],
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
    });
    for (const object of objects) await validate(object);
    const cp = render(charts.cp, '--set', 'tracing.enabled=true', '--set', 'tracing.protocol=http/json');
    const cpEnv = (cp.find((o) => o.kind === 'Deployment')!.spec as any).template.spec.containers[0].env as any[];
    expect(cpEnv).toEqual(
      expect.arrayContaining([
        { name: 'POSTERN_TRACING', value: 'otlp' },
        { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/json' },
      ]),
    );
    // A protocol the processes refuse at boot fails helm lint first.
    const lint = run(['lint', '--strict', charts.cp, '--set', 'tracing.protocol=grpc']);
    expect(lint.status).not.toBe(0);
  });

  test('rollouts drain: preStop sleep, then the shutdown grace inside terminationGracePeriodSeconds; a PDB', () => {
    const objects = render(charts.agent, '--set', 'shutdownGraceSeconds=40');
    const pod = (objects.find((o) => o.kind === 'StatefulSet')!.spec as any).template.spec;
    expect(pod.containers[0].lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
    expect(pod.terminationGracePeriodSeconds).toBe(40 + 5 + 15);
    expect(pod.containers[0].env).toContainEqual({ name: 'POSTERN_SHUTDOWN_GRACE_MS', value: '40000' });
    expect(objects.find((o) => o.kind === 'PodDisruptionBudget')!.spec).toMatchObject({ maxUnavailable: 1 });
  });
});

describe('postern-control-plane specifics', () => {
  test('secrets only by reference: no Secret object, no secret value in the manifests', () => {
    const objects = render(charts.cp, '-f', join(valuesDir, 'cp-ha.yaml'));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const env = (objects.find((o) => o.kind === 'Deployment')!.spec as any).template.spec.containers[0].env as {
      name: string;
      value?: string;
      valueFrom?: unknown;
    }[];
    for (const name of [
      'POSTERN_DATABASE_URL',
      'POSTERN_REDIS_URL',
      'POSTERN_BOOTSTRAP_ADMIN_TOKEN',
      'POSTERN_SECRETS_ENCRYPTION_KEY',
      'POSTERN_INTERNAL_SECRET',
      'POSTERN_OIDC_CLIENT_SECRET',
      'POSTERN_AUDIT_CHECKPOINT_KEY',
    ]) {
      const entry = env.find((e) => e.name === name);
      expect({ name, entry }).toEqual({
        name,
        entry: { name, valueFrom: { secretKeyRef: expect.objectContaining({ name: 'postern-secrets' }) } },
      });
    }
  });

  test('replicas: internal link on with the pod IP, migrations as a pre-upgrade Job, probes on /healthz and /readyz', () => {
    const objects = render(charts.cp, '-f', join(valuesDir, 'cp-ha.yaml'));
    const deployment = objects.find((o) => o.kind === 'Deployment')!.spec as any;
    expect(deployment.replicas).toBeUndefined(); // the autoscaler owns it
    const container = deployment.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      POSTERN_INTERNAL_PORT: '8444',
      POSTERN_INTERNAL_ADVERTISE_ADDRESS: '$(POD_IP):8444',
      POSTERN_MIGRATE_ON_START: 'false',
      POSTERN_RELAY_PROTOCOLS: 'mysql,postgres,ssh',
      POSTERN_RELAY_MYSQL_PORT: '3307',
      POSTERN_RELAY_SSH_PORT: '2222',
    });
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect((job.spec as any).template.spec.containers[0].command).toEqual([
      'node',
      'apps/control-plane/dist/cli/migrate.js',
    ]);
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 8,
    });
    const relay = objects.find((o) => o.metadata.name === 'rel-postern-control-plane-relay')!.spec as any;
    expect(relay.ports.map((p: { port: number }) => p.port)).toEqual([3307, 5433, 2222]);
    const metricsService = objects.find((o) => o.metadata.name === 'rel-postern-control-plane-metrics')!;
    expect((metricsService.spec as any).type).toBe('ClusterIP');
    expect(env).toMatchObject({
      POSTERN_METRICS_PORT: '9464',
      POSTERN_METRICS_TOKEN_FILE: '/etc/postern/metrics-token/token',
    });
    expect((objects.find((o) => o.kind === 'ServiceMonitor')!.spec as any).endpoints[0].authorization).toEqual({
      type: 'Bearer',
      credentials: { name: 'postern-metrics', key: 'token' },
    });
    expect(env).toMatchObject({ POSTERN_RELAY_SSH_HOST_KEY_FILE: '/etc/postern/ssh-relay/ssh_host_key' });
    const noKey = run(['template', 'rel', charts.cp, '--set', 'relay.protocols.ssh=2222']);
    expect(noKey.status).toBe(1);
    expect(noKey.out).toContain('set relay.sshHostKeySecret');
    const refused = run(['template', 'rel', charts.cp, '--set', 'replicas=2', '--set', 'secrets.internalSecretKey=']);
    expect(refused.status).toBe(1);
    expect(refused.out).toContain('needs secrets.internalSecretKey');
  });
});

describe('Grafana dashboard', () => {
  test('every metric it queries is one the processes export (docs/operations.md lists them)', () => {
    const dashboard = JSON.parse(readFileSync(join(deployDir, 'grafana/postern.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const documented = readFileSync(join(deployDir, '../docs/operations.md'), 'utf8');
    const used = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) => [...t.expr.matchAll(/postern_[a-z_]+/g)].map((m) => m[0])),
      ),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const metric of used) {
      // Node's process metrics come from prom-client under each process's prefix.
      if (/^postern_(agent|cp)_process_/.test(metric)) continue;
      const base = metric.replace(/_(bucket|count|sum)$/, '');
      expect({ metric, documented: documented.includes(`\`${base}\``) }).toEqual({ metric, documented: true });
    }
  });
});

describe('chart READMEs', () => {
  test.each([charts.agent, charts.cp])('%s/README.md is generated from values.yaml and up to date', (chart) => {
    expect(readFileSync(join(chart, 'README.md'), 'utf8')).toBe(renderChartReadme(chart));
  });
});
