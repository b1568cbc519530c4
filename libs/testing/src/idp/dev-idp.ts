import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A development OpenID Provider for the demo and the tests: the real, certified `oidc-provider`
 * with a fixed cast of users and clients. Not for production: its login page accepts any
 * password for the demo users (oidc-provider's dev interactions).
 */
export interface DevUser {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  role: string;
}

export const DEV_USERS: DevUser[] = [
  { sub: 'alice', email: 'alice@example.com', name: 'Alice Engineer', groups: ['engineers'], role: 'requester' },
  { sub: 'bob', email: 'bob@example.com', name: 'Bob Lead', groups: ['engineers', 'approvers'], role: 'approver' },
  { sub: 'carol', email: 'carol@example.com', name: 'Carol Platform', groups: ['postern-admins'], role: 'admin' },
];

import { POSTERN_AUDIENCE, POSTERN_DATA_PLANE_AUDIENCE } from './audiences.js';

export { POSTERN_AUDIENCE, POSTERN_DATA_PLANE_AUDIENCE } from './audiences.js';
const RESOURCES = [POSTERN_AUDIENCE, POSTERN_DATA_PLANE_AUDIENCE];

export interface DevIdpOptions {
  port?: number;
  host?: string;
  /** Secrets of the confidential clients; random when not given. */
  dashboardSecret?: string;
  machineSecret?: string;
  redirectUris?: string[];
  /** Lifetime of access tokens (default 300 s); tests of token expiry use a few seconds. */
  accessTokenTtlSeconds?: number;
}

export interface DevIdp {
  issuer: string;
  clients: {
    cli: { clientId: string };
    dashboard: { clientId: string; clientSecret: string };
    machine: { clientId: string; clientSecret: string; groups: string[] };
  };
  users: DevUser[];
  close(): Promise<void>;
}

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const host = options.host ?? '127.0.0.1';
  const dashboardSecret = options.dashboardSecret ?? randomBytes(24).toString('base64url');
  const machineSecret = options.machineSecret ?? randomBytes(24).toString('base64url');
  const machineGroups = ['ci-runners'];
  const ttl = options.accessTokenTtlSeconds ?? 300;

  // Bind first so the issuer URL carries the real port even when the OS picked it.
  const { createServer } = await import('node:http');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const issuer = `http://${host}:${port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };

  const configuration: Configuration = {
    clients: [
      {
        client_id: 'postern-cli',
        // A native app (RFC 8252): its loopback redirect may use any port the CLI binds.
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        client_id: 'postern-dashboard',
        client_secret: dashboardSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.redirectUris ?? ['http://127.0.0.1:8080/auth/callback'],
      },
      {
        client_id: 'ci-runner',
        client_secret: machineSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [jwk as unknown as import('oidc-provider').JWK] },
    findAccount: (_ctx: KoaContextWithOIDC, id: string) => {
      const user = DEV_USERS.find((u) => u.sub === id);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        claims: () => ({
          sub: user.sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          groups: user.groups,
        }),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      // `postern logout` revokes its refresh token here (RFC 7009).
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => POSTERN_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!RESOURCES.includes(resource)) throw new errors.InvalidTarget();
          return {
            audience: resource,
            scope: 'openid email profile groups',
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // Groups travel in access tokens too, so the gateway needs no user-info round trip.
    extraTokenClaims: (_ctx, token) => {
      if (token.kind === 'ClientCredentials') return { groups: machineGroups };
      const user = DEV_USERS.find((u) => u.sub === (token as { accountId?: string }).accountId);
      return user ? { groups: user.groups, email: user.email, email_verified: true } : undefined;
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      IdToken: 300,
      DeviceCode: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  };

  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  return {
    issuer,
    clients: {
      cli: { clientId: 'postern-cli' },
      dashboard: { clientId: 'postern-dashboard', clientSecret: dashboardSecret },
      machine: { clientId: 'ci-runner', clientSecret: machineSecret, groups: machineGroups },
    },
    users: DEV_USERS,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
