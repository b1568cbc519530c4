import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { saveCredentials, type StoredCredentials } from './credentials.js';
import { CliError, LOGIN_AGAIN } from './errors.js';
import { discover, reason } from './oidc.js';
import type { Output } from './output.js';

export interface LoginOptions {
  issuer: string;
  clientId: string;
  audience: string | null;
  scope: string;
  api: string | null;
  credentialsPath: string;
  signal?: AbortSignal;
}

/**
 * `postern login`: OAuth 2.0 device authorization grant (RFC 8628). Prints where to go and the
 * code to enter, polls the token endpoint at the interval the IdP asks for, and stores the token
 * set for `postern token` and `postern whoami`.
 */
export async function login(options: LoginOptions, output: Output): Promise<StoredCredentials> {
  const configuration = await discover(options.issuer, options.clientId);
  // RFC 8707: name Postern as the resource so the IdP issues an access token for its audience.
  const resource: Record<string, string> = options.audience ? { resource: options.audience } : {};
  let device: client.DeviceAuthorizationResponse;
  try {
    device = await client.initiateDeviceAuthorization(configuration, { scope: options.scope, ...resource });
  } catch (error) {
    throw new CliError(`the identity provider refused to start a device sign-in: ${reason(error)}`);
  }

  output.err(`To sign in, open ${device.verification_uri} and enter the code: ${device.user_code}`);
  if (device.verification_uri_complete) output.err(`(or open ${device.verification_uri_complete})`);
  output.err(`Waiting for you to confirm; the code expires in ${Math.round(device.expires_in / 60)} min…`);

  let tokens: Awaited<ReturnType<typeof client.pollDeviceAuthorizationGrant>>;
  try {
    tokens = await client.pollDeviceAuthorizationGrant(configuration, device, resource, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw pollFailure(error, options.signal);
  }

  return store(options, tokens, output);
}

type TokenSet = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

async function store(options: LoginOptions, tokens: TokenSet, output: Output): Promise<StoredCredentials> {
  const expiresIn = tokens.expiresIn();
  const now = new Date();
  const credentials: StoredCredentials = {
    version: 1,
    issuer: options.issuer,
    clientId: options.clientId,
    audience: options.audience,
    api: options.api,
    tokenType: tokens.token_type,
    accessToken: tokens.access_token,
    expiresAt: expiresIn === undefined ? null : new Date(now.getTime() + expiresIn * 1000).toISOString(),
    refreshToken: tokens.refresh_token ?? null,
    scope: tokens.scope ?? null,
    subject: subjectOf(tokens.claims()),
    obtainedAt: now.toISOString(),
  };
  await saveCredentials(options.credentialsPath, credentials);
  const until = credentials.expiresAt ? `, token valid until ${credentials.expiresAt}` : '';
  output.out(`Signed in as ${credentials.subject ?? 'unknown subject'}${until}.`);
  output.err(`Credentials saved to ${options.credentialsPath}`);
  return credentials;
}

function subjectOf(claims: client.IDToken | undefined): string | null {
  if (!claims) return null;
  const email = typeof claims['email'] === 'string' ? claims['email'] : null;
  return email ? `${email} (${claims.sub})` : claims.sub;
}

function pollFailure(error: unknown, signal: AbortSignal | undefined): CliError {
  if (signal?.aborted) return new CliError('sign-in cancelled', 130);
  if (error instanceof client.ResponseBodyError) {
    if (error.error === 'expired_token')
      return new CliError(`the code expired before it was confirmed: ${LOGIN_AGAIN}`);
    if (error.error === 'access_denied') return new CliError('sign-in was refused at the identity provider');
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new CliError(`the code expired before it was confirmed: ${LOGIN_AGAIN}`);
  }
  return new CliError(`sign-in failed: ${reason(error)}`);
}

export interface BrowserLoginOptions extends LoginOptions {
  /** Try to open the page with the desktop's browser (xdg-open / open); the URL is printed anyway. */
  open: boolean;
  env: NodeJS.ProcessEnv;
}

const BROWSER_TIMEOUT_MS = 5 * 60_000;

/**
 * `postern login --browser`: authorization code with PKCE (RFC 7636) and a loopback redirect
 * (RFC 8252 §7.3): a one-shot listener on 127.0.0.1 with a port of the system's choosing takes the
 * redirect, the `state` is checked, and the code is exchanged with the verifier. Nothing but this
 * process can redeem the code (no client secret exists for the CLI; PKCE binds the code to it).
 */
export async function loginWithBrowser(options: BrowserLoginOptions, output: Output): Promise<StoredCredentials> {
  const configuration = await discover(options.issuer, options.clientId);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const resource: Record<string, string> = options.audience ? { resource: options.audience } : {};

  let settle!: { resolve: (url: URL) => void; reject: (error: Error) => void };
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    const failed = url.searchParams.get('error');
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(
      failed ? `Sign-in failed: ${failed}. You can close this tab.` : 'Signed in to Postern. You can close this tab.',
    );
    settle.resolve(new URL(`${redirectUri}${url.search}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  try {
    const authorize = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: options.scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      // A refresh token (offline_access) is issued with the user's explicit consent only.
      ...(options.scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
      ...resource,
    });
    output.err(`To sign in, open this page in your browser:\n  ${authorize.href}`);
    if (options.open) openBrowser(authorize.href, options.env);
    const timeout = setTimeout(
      () => settle.reject(new CliError(`no sign-in within 5 minutes: ${LOGIN_AGAIN}`)),
      BROWSER_TIMEOUT_MS,
    );
    const onAbort = () => settle.reject(new CliError('sign-in cancelled', 130));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let returned: URL;
    try {
      returned = await callback;
    } finally {
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
    }
    let tokens: TokenSet;
    try {
      tokens = await client.authorizationCodeGrant(
        configuration,
        returned,
        { pkceCodeVerifier: verifier, expectedState: state },
        resource,
      );
    } catch (error) {
      throw new CliError(`sign-in failed: ${reason(error)}`);
    }
    return await store(options, tokens, output);
  } finally {
    server.close();
  }
}

/** Best effort: the desktop's URL opener, detached; without one the printed URL is the way. */
function openBrowser(url: string, env: NodeJS.ProcessEnv): void {
  const opener = env['BROWSER'] || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener: the URL is on the terminal.
  }
}
