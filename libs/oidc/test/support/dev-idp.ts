import type { DevIdp } from '../../../testing/src/idp/dev-idp.js';
import type { FetchLike } from '../../src/index.js';

export type { DevIdp };

/**
 * Starts the development IdP in-process. oidc-provider warns (Node 20, in-memory adapter, dev
 * interactions) when it loads and starts; those warnings are expected here and only noise in
 * Jest's output, so they are filtered while it does.
 */
export async function startDevIdp(): Promise<DevIdp> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('oidc-provider WARNING')) warn(...args);
  };
  try {
    const { startDevIdp: start } = await import('../../../testing/src/idp/dev-idp.js');
    return await start();
  } finally {
    console.warn = warn;
  }
}

/** What a CI job does: a client-credentials access token for the gateway. */
export async function machineToken(idp: DevIdp): Promise<string> {
  const { clientId, clientSecret } = idp.clients.machine;
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'urn:postern:gateway' }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request failed: HTTP ${response.status}`);
  return body.access_token;
}

/** The real fetch, counting requests per path so tests can assert how often the IdP is asked. */
export function countingFetch(): { fetch: FetchLike; count: (path: string) => number } {
  const paths: string[] = [];
  return {
    fetch: (url, init) => {
      paths.push(new URL(url).pathname);
      return fetch(url, init);
    },
    count: (path) => paths.filter((p) => p === path).length,
  };
}
