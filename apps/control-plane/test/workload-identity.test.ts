// Machine identities without static secrets: a CI job's or a pod's platform token, from its own
// issuer (three real oidc-provider instances playing GitHub Actions, GitLab CI and a Kubernetes
// cluster's service-account issuer, with those platforms' claim shapes), is exchanged at the
// control plane (RFC 8693, POST /oauth/token) for a connection credential bound to the machine
// identity its claims map to; real psql reaches the database through the agent with it; the
// session and the audit log show the identity and the claims it came from. The platforms' own
// token services are the only stand-ins: they cannot run here.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  REPO_ROOT,
  startStack,
  waitFor,
  type TestDatabase,
  type TestStack,
} from '@postern/testing';
import {
  githubActionsClaims,
  gitlabCiClaims,
  kubernetesServiceAccountClaims,
  startWorkloadIssuer,
  type WorkloadIssuer,
} from '../../../libs/testing/src/idp/workload-issuer.js';

const run = promisify(execFile);
const CLI = `${REPO_ROOT}apps/cli/dist/main.js`;
const AUDIENCE = 'urn:postern:token-exchange';
const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

let stack: TestStack;
let warehouse: TestDatabase;
let agentPort: number;
let workDir: string;
let github: WorkloadIssuer;
let gitlab: WorkloadIssuer;
let kubernetes: WorkloadIssuer;
let stranger: WorkloadIssuer;

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await stack.cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

const CREATE_ISSUER =
  'mutation($input: TrustedIssuerInput!) { createTrustedIssuer(input: $input) { id name ruleCount } }';

async function exchange(params: Record<string, string>) {
  const response = await fetch(`${stack.cp.httpUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function exchangeFor(subjectToken: string, audience = 'warehouse') {
  return exchange({ grant_type: EXCHANGE_GRANT, subject_token: subjectToken, subject_token_type: JWT_TYPE, audience });
}

/** The `postern` CLI as a CI job runs it: no sign-in, a platform token in a file or the environment. */
function postern(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', POSTERN_API_URL: stack.cp.httpUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function psql(user: string, password: string, sql: string) {
  const { stdout } = await run(
    'psql',
    [`host=127.0.0.1 port=${agentPort} dbname=warehouse user=${user} sslmode=disable`, '-XAtc', sql],
    { env: { PATH: process.env['PATH'] ?? '', PGPASSWORD: password } },
  );
  return stdout.trim();
}

interface AuditEvent {
  kind: string;
  actorId: string | null;
  decision: string | null;
  details: Record<string, unknown>;
}

async function auditEvents(kind: string): Promise<AuditEvent[]> {
  const data = await admin<{ auditEvents: { events: Array<Omit<AuditEvent, 'details'> & { detailsJson: string }> } }>(
    'query($kind: String) { auditEvents(filter: { kindPrefix: $kind }, first: 100) { events { kind actorId decision detailsJson } } }',
    { kind },
  );
  return data.auditEvents.events.map(({ detailsJson, ...e }) => ({
    ...e,
    details: JSON.parse(detailsJson) as Record<string, unknown>,
  }));
}

async function sessionOf(principalName: string) {
  return waitFor(
    async () => {
      const { sessions } = await admin<{ sessions: Array<{ principalId: string; principalName: string }> }>(
        'query { sessions(limit: 50) { principalId principalName } }',
      );
      return sessions.find((s) => s.principalName === principalName);
    },
    { what: `the session of ${principalName}` },
  );
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'postern-workload-'));
  [github, gitlab, kubernetes, stranger, warehouse] = await Promise.all([
    startWorkloadIssuer({ audience: AUDIENCE }),
    startWorkloadIssuer({ audience: AUDIENCE }),
    startWorkloadIssuer({ audience: AUDIENCE }),
    startWorkloadIssuer({ audience: AUDIENCE }),
    createTestDatabase('postern_wl_wh'),
  ]);
  stack = await startStack({
    name: 'postern_wl',
    agents: [{ name: 'edge-wl', env: { POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0', WAREHOUSE_PASSWORD: 'trust' } }],
  });
  const agent = stack.agents.get('edge-wl')!;
  agentPort = Number((await agent.process.waitForMessage('local ingress listening'))['port']);
  const { createConnection } = await admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name: 'warehouse',
        protocol: 'POSTGRES',
        agentId: agent.id,
        targetHost: '127.0.0.1',
        targetPort: 5432,
        targetDatabase: warehouse.name,
        targetUser: 'postgres',
        secretRef: 'env:WAREHOUSE_PASSWORD',
        tlsMode: 'disable',
      },
    },
  );
  await admin(
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["ci-deployers", "billing-jobs"], operations: ["read"] }) { id } }',
    { id: createConnection.id },
  );
  await admin(CREATE_ISSUER, {
    input: {
      name: 'github-actions',
      issuer: github.issuer,
      audiences: [AUDIENCE],
      rules: [
        {
          conditions: [
            { claim: 'repository', equals: 'acme/shop' },
            { claim: 'ref', glob: 'refs/heads/*' },
            { claim: 'environment', oneOf: ['production'] },
          ],
          identity: 'gha:{repository}@{ref}',
          groups: ['ci-deployers'],
        },
      ],
    },
  });
  await admin(CREATE_ISSUER, {
    input: {
      name: 'gitlab-ci',
      issuer: gitlab.issuer,
      audiences: [AUDIENCE],
      rules: [
        {
          conditions: [
            { claim: 'project_path', glob: 'acme/*' },
            { claim: 'ref_protected', equals: 'true' },
          ],
          identity: 'gitlab:{project_path}@{ref}',
          groups: ['ci-deployers'],
        },
      ],
    },
  });
  await admin(CREATE_ISSUER, {
    input: {
      name: 'cluster-eu1',
      issuer: kubernetes.issuer,
      audiences: [AUDIENCE],
      rules: [
        {
          conditions: [
            { claim: 'kubernetes.io.namespace', equals: 'billing' },
            { claim: 'kubernetes.io.serviceaccount.name', equals: 'report-job' },
          ],
          identity: 'k8s:eu1/{kubernetes.io.namespace}/{kubernetes.io.serviceaccount.name}',
          groups: ['billing-jobs'],
        },
      ],
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([github, gitlab, kubernetes, stranger].map((issuer) => issuer?.close()));
  await warehouse?.drop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('from a CI job to the database with no secret', () => {
  test('GitHub Actions: postern connect with the job token file reaches the database as the mapped identity', async () => {
    const token = await github.mint(
      githubActionsClaims({
        repository: 'acme/shop',
        ref: 'refs/heads/main',
        runId: '7012345678',
        environment: 'production',
      }),
    );
    const tokenFile = join(workDir, 'gha-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const result = await postern({ POSTERN_TOKEN_FILE: tokenFile, POSTERN_CONFIG_DIR: join(workDir, 'gha') }, [
      'connect',
      'warehouse',
      '--via',
      `127.0.0.1:${agentPort}`,
      '--',
      '-XAtc',
      'select 40 + 2',
    ]);
    expect(result.stderr).toContain('as gha:acme/shop@refs/heads/main');
    expect(result.stdout.trim()).toBe('42');
    expect(result.code).toBe(0);

    const session = await sessionOf('gha:acme/shop@refs/heads/main');
    const granted = (await auditEvents('token_exchange.granted')).find((e) => e.actorId === session.principalId);
    expect(granted?.details).toMatchObject({
      identity: 'gha:acme/shop@refs/heads/main',
      trustedIssuer: 'github-actions',
      issuer: github.issuer,
      subject: 'repo:acme/shop:environment:production',
      'claim.repository': 'acme/shop',
      'claim.ref': 'refs/heads/main',
      'claim.environment': 'production',
      'claim.run_id': '7012345678',
    });
    // The platform token stayed at the control plane: the agent saw a connection credential only.
    const agent = stack.agents.get('edge-wl')!;
    expect(agent.process.output()).not.toContain(token.split('.')[2]);
    expect(stack.cp.process.output()).not.toContain(token.split('.')[2]);
  });

  test('GitLab CI: the RFC 8693 answer is a minutes-long connection credential that psql logs in with', async () => {
    const token = await gitlab.mint(
      gitlabCiClaims({ projectPath: 'acme/shop', ref: 'main', pipelineId: '1001', jobId: '2002' }),
    );
    const { status, body } = await exchangeFor(token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issued_token_type: 'urn:postern:params:oauth:token-type:connection-credential',
      token_type: 'N_A',
      login_name: 'gitlab:acme/shop@main',
      connection: { name: 'warehouse', protocol: 'postgres', database: 'warehouse' },
    });
    expect(body['access_token']).toMatch(/^postern_conn_/);
    expect(body['expires_in']).toBeGreaterThan(200);
    expect(body['expires_in']).toBeLessThanOrEqual(300); // never past the job token (300 s here)
    expect(
      await psql(
        'gitlab:acme/shop@main',
        String(body['access_token']),
        'select current_database() = current_database()',
      ),
    ).toBe('t');
    const session = await sessionOf('gitlab:acme/shop@main');
    const granted = (await auditEvents('token_exchange.granted')).find((e) => e.actorId === session.principalId);
    expect(granted?.details).toMatchObject({
      'claim.pipeline_id': '1001',
      'claim.job_id': '2002',
      'claim.project_path': 'acme/shop',
    });
  });

  test('Kubernetes: the CLI re-reads the projected token file; a rotated token for another service account is refused', async () => {
    const tokenFile = join(workDir, 'k8s-token');
    const env = { POSTERN_CONFIG_DIR: join(workDir, 'k8s') };
    const login = await postern(env, ['login', '--token-file', tokenFile, '--api', stack.cp.httpUrl]);
    expect(login.code).toBe(3); // no file yet: said so, nothing remembered
    expect(login.stderr).toMatch(/cannot read the workload token file/);

    const pod = { namespace: 'billing', serviceAccount: 'report-job', podName: 'report-job-7d9f' };
    await writeFile(tokenFile, await kubernetes.mint(kubernetesServiceAccountClaims(pod)));
    expect((await postern(env, ['login', '--token-file', tokenFile, '--api', stack.cp.httpUrl])).code).toBe(0);
    const exported = await postern(env, ['env', 'warehouse', '--via', `127.0.0.1:${agentPort}`]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^export PGUSER='k8s:eu1\/billing\/report-job'$/m);
    const password = /^export PGPASSWORD='(postern_conn_[^']+)'$/m.exec(exported.stdout)?.[1];
    expect(await psql('k8s:eu1/billing/report-job', password!, 'select 7 * 6')).toBe('42');
    const session = await sessionOf('k8s:eu1/billing/report-job');
    const granted = (await auditEvents('token_exchange.granted')).find((e) => e.actorId === session.principalId);
    expect(granted?.details).toMatchObject({
      subject: 'system:serviceaccount:billing:report-job',
      'claim.kubernetes.io.namespace': 'billing',
      'claim.kubernetes.io.serviceaccount.name': 'report-job',
      'claim.kubernetes.io.pod.name': 'report-job-7d9f',
    });

    // The kubelet rotates the file; this time it belongs to a service account no rule maps.
    await writeFile(
      tokenFile,
      await kubernetes.mint(kubernetesServiceAccountClaims({ ...pod, serviceAccount: 'default' })),
    );
    const refused = await postern(env, ['env', 'warehouse', '--via', `127.0.0.1:${agentPort}`]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/no mapping rule admits this token/);
    expect(refused.stdout).not.toContain('PGPASSWORD');
    const audit = (await auditEvents('token_exchange.refused')).find(
      (e) => e.details['trustedIssuer'] === 'cluster-eu1' && e.details['unmapped'] === true,
    );
    expect(audit?.decision).toBe('denied');
    expect(audit?.details['reason']).toMatch(/claim "kubernetes\.io\.serviceaccount\.name" is not "report-job"/);
  });
});

describe('what the exchange refuses', () => {
  test('a job of another repository or branch kind maps to nothing: invalid_grant, the reason audited only', async () => {
    const forked = await github.mint(
      githubActionsClaims({
        repository: 'mallory/shop',
        ref: 'refs/heads/main',
        runId: '1',
        environment: 'production',
      }),
    );
    const tag = await github.mint(
      githubActionsClaims({ repository: 'acme/shop', ref: 'refs/tags/v1', runId: '2', environment: 'production' }),
    );
    for (const token of [forked, tag]) {
      const { status, body } = await exchangeFor(token);
      expect(status).toBe(400);
      expect(body).toEqual({
        error: 'invalid_grant',
        error_description: 'no mapping rule admits this token (the reason is in the audit log)',
      });
    }
    const reasons = (await auditEvents('token_exchange.refused')).map((e) => String(e.details['reason']));
    expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/claim "repository" is not "acme\/shop"/)]));
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/claim "ref" does not match "refs\/heads\/\*"/)]),
    );
  });

  test('tokens of an untrusted issuer, for another audience, forged or expired are invalid_grant', async () => {
    const claims = githubActionsClaims({
      repository: 'acme/shop',
      ref: 'refs/heads/main',
      runId: '3',
      environment: 'production',
    });
    const untrusted = await exchangeFor(await stranger.mint(claims));
    expect(untrusted.body).toMatchObject({ error: 'invalid_grant' });
    expect(String(untrusted.body['error_description'])).toMatch(/is not a trusted issuer/);

    const otherAudience = await exchangeFor(await github.mint(claims, { audience: 'https://github.com/acme' }));
    expect(otherAudience.body).toMatchObject({ error: 'invalid_grant' });
    expect(String(otherAudience.body['error_description'])).toMatch(/audience/);

    // Signed by another issuer's key but claiming to be GitHub's.
    const [header, payload] = (await github.mint(claims)).split('.');
    const signature = (await stranger.mint(claims)).split('.')[2];
    const forged = await exchangeFor(`${header}.${payload}.${signature}`);
    expect(forged.body).toMatchObject({ error: 'invalid_grant' });

    // A token about to expire buys no credential (and one already expired is refused as such).
    const dying = await exchangeFor(await github.mint(claims, { ttlSeconds: 10 }));
    expect(dying.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'the subject token expires in less than 30 seconds',
    });
  });

  test('a connection the identity may not reach, or that does not exist, is invalid_target — the same answer', async () => {
    const token = await gitlab.mint(
      gitlabCiClaims({ projectPath: 'acme/shop', ref: 'main', pipelineId: '5', jobId: '6' }),
    );
    const missing = await exchangeFor(token, 'no-such-db');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_target' });
    expect(String(missing.body['error_description'])).toMatch(
      /does not exist or gitlab:acme\/shop@main has no access rule/,
    );
  });

  test('malformed requests get RFC 6749 errors', async () => {
    const token = await gitlab.mint(
      gitlabCiClaims({ projectPath: 'acme/shop', ref: 'main', pipelineId: '7', jobId: '8' }),
    );
    const cases: Array<[Record<string, string>, string]> = [
      [{ grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      [{ grant_type: EXCHANGE_GRANT, subject_token_type: JWT_TYPE, audience: 'warehouse' }, 'invalid_request'],
      [{ grant_type: EXCHANGE_GRANT, subject_token: token, audience: 'warehouse' }, 'invalid_request'],
      [{ grant_type: EXCHANGE_GRANT, subject_token: token, subject_token_type: JWT_TYPE }, 'invalid_request'],
      [
        { grant_type: EXCHANGE_GRANT, subject_token: 'not-a-jwt', subject_token_type: JWT_TYPE, audience: 'warehouse' },
        'invalid_grant',
      ],
    ];
    for (const [params, error] of cases) {
      const { status, body } = await exchange(params);
      expect({ status, error: body['error'] }).toEqual({ status: 400, error });
    }
    const twoTargets = await fetch(`${stack.cp.httpUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(EXCHANGE_GRANT)}&subject_token=${token}&subject_token_type=${encodeURIComponent(JWT_TYPE)}&audience=warehouse&audience=other`,
    });
    expect(await twoTargets.json()).toMatchObject({ error: 'invalid_target' });
    const json = await fetch(`${stack.cp.httpUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: EXCHANGE_GRANT }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('trusted issuers over GraphQL', () => {
  test('rules that would map too much, or names a claim could choose, are refused with the reason', async () => {
    const base = { name: 'loose', issuer: 'https://token.actions.githubusercontent.com', audiences: [AUDIENCE] };
    const attempts: Array<[unknown, RegExp]> = [
      [
        [{ conditions: [{ claim: 'repository', glob: '**' }], identity: 'gha:{repository}', groups: [] }],
        /matches everything/,
      ],
      [[{ conditions: [], identity: 'gha:x', groups: [] }], /at least one condition/],
      [[{ conditions: [{ claim: 'repository', equals: 'a/b' }], identity: '{sub}', groups: [] }], /literal prefix/],
      [
        [{ conditions: [{ claim: 'repository', equals: 'a/b', glob: 'a/*' }], identity: 'gha:x', groups: [] }],
        /exactly one of/,
      ],
    ];
    for (const [rules, message] of attempts) {
      const response = await stack.cp.admin(CREATE_ISSUER, { input: { ...base, rules } });
      expect(response.errors?.[0]?.message).toMatch(message);
    }
    const plainHttp = await stack.cp.admin(CREATE_ISSUER, {
      input: {
        ...base,
        issuer: 'http://ci.example.com',
        rules: [{ conditions: [{ claim: 'a', equals: 'b' }], identity: 'x:y', groups: [] }],
      },
    });
    expect(plainHttp.errors?.[0]?.message).toMatch(/https URL/);
  });

  test('a disabled issuer is not trusted; its issuers list shows the rules as configured', async () => {
    const { trustedIssuers } = await admin<{
      trustedIssuers: Array<{
        id: string;
        name: string;
        issuer: string;
        enabled: boolean;
        rules: Array<{ identity: string; conditions: Array<{ claim: string; glob: string | null }> }>;
      }>;
    }>('query { trustedIssuers { id name issuer enabled rules { identity conditions { claim glob } } } }');
    const gitlabIssuer = trustedIssuers.find((i) => i.name === 'gitlab-ci')!;
    expect(gitlabIssuer.rules[0]).toMatchObject({ identity: 'gitlab:{project_path}@{ref}' });
    expect(gitlabIssuer.rules[0]!.conditions[0]).toEqual({ claim: 'project_path', glob: 'acme/*' });
    const input = {
      name: 'gitlab-ci',
      issuer: gitlab.issuer,
      audiences: [AUDIENCE],
      enabled: false,
      rules: [
        {
          conditions: [{ claim: 'project_path', glob: 'acme/*' }],
          identity: 'gitlab:{project_path}@{ref}',
          groups: ['ci-deployers'],
        },
      ],
    };
    await admin(
      'mutation($id: ID!, $input: TrustedIssuerInput!) { updateTrustedIssuer(id: $id, input: $input) { enabled } }',
      {
        id: gitlabIssuer.id,
        input,
      },
    );
    const token = await gitlab.mint(
      gitlabCiClaims({ projectPath: 'acme/shop', ref: 'main', pipelineId: '9', jobId: '10' }),
    );
    expect((await exchangeFor(token)).body).toMatchObject({ error: 'invalid_grant' });
    await admin(
      'mutation($id: ID!, $input: TrustedIssuerInput!) { updateTrustedIssuer(id: $id, input: $input) { enabled } }',
      {
        id: gitlabIssuer.id,
        input: { ...input, enabled: true },
      },
    );
    expect((await exchangeFor(token)).status).toBe(200);
  });
});
