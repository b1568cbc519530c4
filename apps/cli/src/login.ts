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
