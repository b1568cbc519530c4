import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';

/**
 * A platform's workload token issuer for tests — GitHub Actions, GitLab CI or a Kubernetes
 * cluster's service-account issuer — played by the real `oidc-provider` at an address of its own:
 * its own signing key, discovery document and JWKS, and tokens (JWTs, RS256) carrying the claims
 * that platform puts in its job or pod tokens. The platforms' own token services cannot run
 * here; what Postern sees of them (discovery, JWKS, a signed JWT with their claim shapes) is the
 * same. Tokens are minted with the client-credentials grant; `sub` and the other claims are the
 * job's, and `client_id`/`scope` (which the platforms do not send) are removed.
 */
export interface WorkloadIssuer {
  issuer: string;
  /** A signed token for a job or pod with these claims (`sub` included), for `audience`. */
  mint(claims: Record<string, unknown>, options?: { audience?: string; ttlSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export interface WorkloadIssuerOptions {
  /** The audience tokens are minted for unless `mint` names another. */
  audience: string;
  /** Default lifetime of tokens (GitHub's are valid for minutes); default 300 s. */
  ttlSeconds?: number;
}

const CLIENT_ID = 'platform-token-service';

export async function startWorkloadIssuer(options: WorkloadIssuerOptions): Promise<WorkloadIssuer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const secret = randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };
  // The job whose token is being minted; mints are serialised so each token gets its own job's claims.
  let job: { claims: Record<string, unknown>; ttl: number } | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const configuration: Configuration = {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk as unknown as import('oidc-provider').JWK] },
    ttl: { ClientCredentials: () => job?.ttl ?? options.ttlSeconds ?? 300 },
    features: {
      // A token service for machines: no login pages.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          audience: resource,
          scope: '',
          accessTokenFormat: 'jwt',
          accessTokenTTL: job?.ttl ?? options.ttlSeconds ?? 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: () => {
      const { sub: _sub, ...claims } = job?.claims ?? {};
      return claims;
    },
    formats: {
      customizers: {
        jwt: (_ctx, _token, jwt) => {
          const sub = job?.claims['sub'];
          if (typeof sub === 'string') jwt.payload['sub'] = sub;
          delete jwt.payload['client_id'];
          delete jwt.payload['scope'];
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());

  async function mintNow(claims: Record<string, unknown>, audience: string, ttl: number): Promise<string> {
    job = { claims, ttl };
    try {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: secret,
          resource: audience,
        }),
      });
      const body = (await response.json()) as { access_token?: string; error_description?: string };
      if (!body.access_token) throw new Error(`workload issuer: ${body.error_description ?? response.status}`);
      return body.access_token;
    } finally {
      job = null;
    }
  }

  return {
    issuer,
    mint(claims, mintOptions = {}) {
      const minted = queue.then(() =>
        mintNow(claims, mintOptions.audience ?? options.audience, mintOptions.ttlSeconds ?? options.ttlSeconds ?? 300),
      );
      queue = minted.catch(() => undefined);
      return minted;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The claims of a GitHub Actions job's OIDC token (trimmed to the usual ones). */
export function githubActionsClaims(job: {
  repository: string;
  ref: string;
  runId: string;
  environment?: string;
  workflow?: string;
  actor?: string;
}): Record<string, unknown> {
  const [owner] = job.repository.split('/');
  return {
    sub: `repo:${job.repository}:${job.environment ? `environment:${job.environment}` : `ref:${job.ref}`}`,
    repository: job.repository,
    repository_owner: owner,
    ref: job.ref,
    ref_type: job.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ...(job.environment ? { environment: job.environment } : {}),
    workflow: job.workflow ?? 'deploy',
    job_workflow_ref: `${job.repository}/.github/workflows/${job.workflow ?? 'deploy'}.yml@${job.ref}`,
    run_id: job.runId,
    run_attempt: '1',
    actor: job.actor ?? 'octocat',
    event_name: 'push',
    runner_environment: 'github-hosted',
  };
}

/** The claims of a GitLab CI job's `id_tokens` token. */
export function gitlabCiClaims(job: {
  projectPath: string;
  ref: string;
  pipelineId: string;
  jobId: string;
  protectedRef?: boolean;
}): Record<string, unknown> {
  return {
    sub: `project_path:${job.projectPath}:ref_type:branch:ref:${job.ref}`,
    namespace_path: job.projectPath.split('/').slice(0, -1).join('/'),
    project_path: job.projectPath,
    user_login: 'ci-bot',
    pipeline_id: job.pipelineId,
    pipeline_source: 'push',
    job_id: job.jobId,
    ref: job.ref,
    ref_type: 'branch',
    ref_protected: String(job.protectedRef ?? true),
    runner_environment: 'gitlab-hosted',
  };
}

/** The claims of a Kubernetes projected service-account token (nested under `kubernetes.io`). */
export function kubernetesServiceAccountClaims(pod: {
  namespace: string;
  serviceAccount: string;
  podName: string;
}): Record<string, unknown> {
  return {
    sub: `system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`,
    'kubernetes.io': {
      namespace: pod.namespace,
      pod: { name: pod.podName, uid: randomBytes(8).toString('hex') },
      serviceaccount: { name: pod.serviceAccount, uid: randomBytes(8).toString('hex') },
    },
  };
}
