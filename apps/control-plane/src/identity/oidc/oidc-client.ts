import * as client from 'openid-client';
import { isLoopbackHttp } from './loopback.js';

export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
}

/**
 * Discovers the issuer's metadata and returns the relying-party configuration for sign-in.
 *
 * A confidential client authenticates with HTTP Basic, the method RFC 6749 §2.3.1 obliges every
 * authorization server to support; a public client (no secret) relies on PKCE alone. ID tokens
 * from the token endpoint get their signature checked against the issuer's JWKS too
 * (non-repudiation checks), not only their claims.
 */
export async function discoverOidcClient(settings: OidcClientSettings): Promise<client.Configuration> {
  const execute: Array<(config: client.Configuration) => void> = [client.enableNonRepudiationChecks];
  // openid-client refuses plain-http endpoints. Allow them only for an http:// issuer on the
  // loopback interface (development IdPs, tests): nothing leaves the machine, so nothing can be
  // read or altered on the way. Any other http:// issuer fails discovery, as it should.
  if (isLoopbackHttp(settings.issuer)) execute.push(client.allowInsecureRequests);
  return client.discovery(
    new URL(settings.issuer),
    settings.clientId,
    undefined,
    settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
    { execute, timeout: 10 },
  );
}
