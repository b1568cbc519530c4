import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { FetchInit, FetchLike, FetchResponseLike } from '../../src/index.js';

export const AUDIENCE = 'urn:postern:gateway';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * An issuer whose keys and availability the test controls, reached through an injected fetch:
 * key rotation, outages and request counts without timing games.
 */
export class LocalIssuer {
  readonly issuer = `https://idp-${randomBytes(4).toString('hex')}.example.test`;
  readonly jwksUri = `${this.issuer}/jwks`;
  /** Requests the IdP answered, and requests made (answered or not). */
  readonly requests = { discovery: 0, jwks: 0 };
  readonly attempts = { discovery: 0, jwks: 0 };
  /** While true every request fails as if the IdP were unreachable. */
  down = false;
  private readonly published: SigningKey[] = [];

  async addKey(alg = 'ES256', kid = randomBytes(6).toString('hex')): Promise<SigningKey> {
    const key = await createSigningKey(alg, kid);
    this.published.push(key);
    return key;
  }

  /** A key that signs but is not published (yet): what the IdP rotates to. */
  createUnpublishedKey(alg = 'ES256', kid = randomBytes(6).toString('hex')): Promise<SigningKey> {
    return createSigningKey(alg, kid);
  }

  publish(key: SigningKey): void {
    this.published.push(key);
  }

  retire(key: SigningKey): void {
    this.published.splice(this.published.indexOf(key), 1);
  }

  /** A valid access token for the gateway; `claims` override or, set to undefined, remove defaults. */
  async sign(
    key: SigningKey,
    claims: Record<string, unknown> = {},
    options: { nowSeconds?: number; header?: Record<string, unknown> } = {},
  ): Promise<string> {
    const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: this.issuer,
      aud: AUDIENCE,
      sub: 'alice',
      iat: now,
      exp: now + 300,
      groups: ['engineers'],
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
      .sign(key.privateKey);
  }

  readonly fetch: FetchLike = async (url: string, _init?: FetchInit): Promise<FetchResponseLike> => {
    const discovery = url === `${this.issuer}/.well-known/openid-configuration`;
    if (discovery) this.attempts.discovery += 1;
    if (url === this.jwksUri) this.attempts.jwks += 1;
    if (this.down) throw new TypeError('fetch failed: connect ECONNREFUSED');
    if (discovery) {
      this.requests.discovery += 1;
      return json({ issuer: this.issuer, jwks_uri: this.jwksUri });
    }
    if (url === this.jwksUri) {
      this.requests.jwks += 1;
      return json({ keys: this.published.map((key) => key.publicJwk) });
    }
    return { ok: false, status: 404, json: async () => ({}) };
  };
}

async function createSigningKey(alg: string, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

function json(body: unknown): FetchResponseLike {
  return { ok: true, status: 200, json: async () => structuredClone(body) };
}
