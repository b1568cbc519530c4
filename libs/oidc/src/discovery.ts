import { fetchJson, isRecord, type FetchLike } from './http.js';

/**
 * Finds the issuer's JWKS address in its OpenID Provider metadata (OIDC Discovery 1.0 §4).
 * The metadata must name the same issuer we were configured with (§4.3): otherwise a
 * misconfigured or hostile discovery document could point us at someone else's keys.
 */
export async function discoverJwksUri(fetch: FetchLike, issuer: string, timeoutMs: number): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const metadata = await fetchJson(fetch, url, timeoutMs);
  if (!isRecord(metadata)) throw new Error(`${url} did not return a JSON object`);
  if (metadata.issuer !== issuer) {
    throw new Error(`${url} names issuer ${JSON.stringify(metadata.issuer)}, expected ${JSON.stringify(issuer)}`);
  }
  const jwksUri = metadata.jwks_uri;
  if (typeof jwksUri !== 'string' || !isHttpUrl(jwksUri)) throw new Error(`${url} has no usable jwks_uri`);
  return jwksUri;
}

export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
