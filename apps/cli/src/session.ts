import * as client from 'openid-client';
import { loadCredentials, saveCredentials, type StoredCredentials } from './credentials.js';
import { CliError, EXIT, LOGIN_AGAIN } from './errors.js';
import { discover, reason } from './oidc.js';
import type { Output } from './output.js';

/** A token this close to expiry is treated as expired: it could lapse on its way to the server. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * The stored access token, refreshed first when it has expired and a refresh token was issued.
 * An expired token with no way to refresh it is an error telling the user to sign in again.
 */
export async function currentCredentials(path: string, output: Output, now = Date.now()): Promise<StoredCredentials> {
  const { credentials, warning } = await loadCredentials(path);
  if (warning) output.err(`warning: ${warning}`);
  if (!isExpired(credentials, now)) return credentials;
  if (!credentials.refreshToken) {
    throw new CliError(`your Postern token expired at ${credentials.expiresAt}: ${LOGIN_AGAIN}`, EXIT.signIn);
  }
  const refreshed = await refresh(credentials);
  await saveCredentials(path, refreshed);
  return refreshed;
}

export function isExpired(credentials: StoredCredentials, now = Date.now()): boolean {
  return credentials.expiresAt !== null && Date.parse(credentials.expiresAt) - EXPIRY_MARGIN_MS <= now;
}

async function refresh(credentials: StoredCredentials): Promise<StoredCredentials> {
  const configuration = await discover(credentials.issuer, credentials.clientId);
  let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
  try {
    tokens = await client.refreshTokenGrant(
      configuration,
      credentials.refreshToken!,
      credentials.audience ? { resource: credentials.audience } : undefined,
    );
  } catch (error) {
    throw new CliError(
      `your Postern token expired and could not be refreshed (${reason(error)}): ${LOGIN_AGAIN}`,
      EXIT.signIn,
    );
  }
  const expiresIn = tokens.expiresIn();
  const now = new Date();
  return {
    ...credentials,
    tokenType: tokens.token_type,
    accessToken: tokens.access_token,
    expiresAt: expiresIn === undefined ? null : new Date(now.getTime() + expiresIn * 1000).toISOString(),
    refreshToken: tokens.refresh_token ?? credentials.refreshToken,
    scope: tokens.scope ?? credentials.scope,
    obtainedAt: now.toISOString(),
  };
}
