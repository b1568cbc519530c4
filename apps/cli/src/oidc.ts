import * as client from 'openid-client';
import { CliError } from './errors.js';

/** True for http:// on the loopback interface, the only place plain HTTP is acceptable. */
export function isLoopbackHttp(url: URL): boolean {
  const host = url.hostname;
  return url.protocol === 'http:' && (host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host));
}

/** Discovers the issuer for the CLI's public client (no secret: the device flow needs none). */
export async function discover(issuer: string, clientId: string): Promise<client.Configuration> {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new CliError(`--issuer must be a URL (got ${JSON.stringify(issuer)})`, 2);
  }
  // Plain-http issuers are allowed only on loopback (a development IdP on this machine): tokens
  // sent over http to any other host could be read on the way.
  const insecure = isLoopbackHttp(url);
  if (url.protocol !== 'https:' && !insecure) {
    throw new CliError(`the issuer must use https:// (plain http is accepted only on loopback): ${issuer}`, 2);
  }
  try {
    return await client.discovery(url, clientId, undefined, client.None(), {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: 15,
    });
  } catch (error) {
    throw new CliError(`cannot discover the identity provider at ${issuer}: ${reason(error)}`);
  }
}

/** A short reason for an openid-client or network failure. */
export function reason(error: unknown): string {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return error.error_description ? `${error.error} (${error.error_description})` : error.error;
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
