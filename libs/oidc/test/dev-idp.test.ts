import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPublicKey } from 'node:crypto';
import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  createTokenVerifier,
  type OidcEvent,
  type TokenRejectedError,
  type TokenVerifierOptions,
} from '../src/index.js';
import { countingFetch, machineToken, startDevIdp, type DevIdp } from './support/dev-idp.js';
import { FakeClock } from './support/fake-clock.js';
import { expectRejected } from './support/rejection.js';

const AUDIENCE = 'urn:postern:gateway';

describe('tokens from the development IdP (oidc-provider)', () => {
  let idp: DevIdp;
  let token: string;
  let idpJwk: JWK & { kid: string };

  beforeAll(async () => {
    idp = await startDevIdp();
    token = await machineToken(idp);
    const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: (JWK & { kid: string })[] };
    idpJwk = jwks.keys[0]!;
  });
  afterAll(() => idp.close());

  function verifier(overrides: Partial<TokenVerifierOptions> = {}) {
    const clock = new FakeClock();
    const http = countingFetch();
    const instance = createTokenVerifier({
      issuer: idp.issuer,
      audiences: [AUDIENCE],
      fetch: http.fetch,
      now: clock.now,
      ...overrides,
    });
    return { verify: (t: string) => instance.verify(t), clock, http };
  }

  /** The real token's claims and header, re-signed or re-assembled by an attacker. */
  function realClaims() {
    return decodeJwt(token);
  }

  test('a client-credentials token verifies as the ci-runner service with its groups', async () => {
    const { verify, http } = verifier();
    const identity = await verify(token);
    expect(identity).toMatchObject({
      subject: 'ci-runner',
      issuer: idp.issuer,
      audience: AUDIENCE,
      groups: ['ci-runners'],
      clientId: 'ci-runner',
      kind: 'service',
    });
    expect(identity.expiresAt.getTime()).toBe(realClaims().exp! * 1000);
    // Discovery once, keys once, then everything is cached.
    await verify(token);
    expect([http.count('/.well-known/openid-configuration'), http.count('/jwks')]).toEqual([1, 1]);
  });

  test('a byte flipped in the signature is a bad signature', async () => {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = bytes[10]! ^ 0x01;
    const forged = `${header}.${payload}.${bytes.toString('base64url')}`;
    await expectRejected(verifier().verify(forged), 'bad_signature', forged);
  });

  test("a token signed with another RSA key under the IdP's kid is a bad signature", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(realClaims())
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: idpJwk.kid })
      .sign(privateKey);
    await expectRejected(verifier().verify(forged), 'bad_signature', forged);
  });

  test('a verifier for another issuer refuses the token as wrong_issuer', async () => {
    const { verify } = verifier({ issuer: 'https://login.example.com', jwksUri: `${idp.issuer}/jwks` });
    const rejection = await expectRejected(verify(token), 'wrong_issuer', token);
    expect(rejection.message).toContain('https://login.example.com');
  });

  test('a verifier for another audience refuses the token as wrong_audience', async () => {
    await expectRejected(verifier({ audiences: ['urn:postern:other'] }).verify(token), 'wrong_audience', token);
  });

  test('the token expires at exp, plus the clock tolerance', async () => {
    const { verify, clock } = verifier({ clockToleranceSeconds: 30 });
    const expiresIn = realClaims().exp! - clock.nowSeconds();
    clock.advanceSeconds(expiresIn + 20);
    await expect(verify(token)).resolves.toMatchObject({ subject: 'ci-runner' });
    clock.advanceSeconds(15);
    await expectRejected(verify(token), 'expired', token);
  });

  test('a token issued in the future (clock skew beyond tolerance) is not yet valid', async () => {
    const { verify, clock } = verifier({ clockToleranceSeconds: 30 });
    clock.advanceSeconds(-120);
    await expectRejected(verify(token), 'not_yet_valid', token);
  });

  test.each(['none', 'None', 'NONE'])('alg %s (unsigned) is refused', async (alg) => {
    const header = base64url.encode(JSON.stringify({ alg, typ: 'at+jwt', kid: idpJwk.kid }));
    const payload = base64url.encode(JSON.stringify(realClaims()));
    const { verify, http } = verifier();
    await expectRejected(verify(`${header}.${payload}.`), 'algorithm_not_allowed');
    // Refused before any key was fetched.
    expect(http.count('/jwks')).toBe(0);
  });

  test("HS256 keyed with the IdP's public key (PEM, JWK JSON, raw modulus) is refused", async () => {
    const pem = createPublicKey({ key: idpJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const secrets = [
      new TextEncoder().encode(pem),
      new TextEncoder().encode(JSON.stringify(idpJwk)),
      base64url.decode(idpJwk.n!),
    ];
    for (const secret of secrets) {
      const forged = await new SignJWT(realClaims())
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: idpJwk.kid })
        .sign(secret);
      await expectRejected(verifier().verify(forged), 'algorithm_not_allowed', forged);
    }
  });

  test('unknown kids refresh the JWKS at most once per minRefreshInterval, even 50 at once', async () => {
    const events: OidcEvent[] = [];
    const { verify, http, clock } = verifier({ minRefreshIntervalSeconds: 30, onEvent: (e) => events.push(e) });
    await verify(token);
    expect(http.count('/jwks')).toBe(1);

    const { privateKey } = await generateKeyPair('RS256');
    const sprayed = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        new SignJWT(realClaims()).setProtectedHeader({ alg: 'RS256', kid: `random-${i}` }).sign(privateKey),
      ),
    );
    // The keys were fetched just now: the interval counts from that fetch too.
    await expectRejected(verify(sprayed[0]!), 'unknown_key');
    expect(http.count('/jwks')).toBe(1);

    clock.advanceSeconds(31);
    const results = await Promise.allSettled(sprayed.map((t) => verify(t)));
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as TokenRejectedError).code : 'accepted'));
    expect(new Set(codes)).toEqual(new Set(['unknown_key']));
    for (const t of sprayed.slice(0, 5)) await expectRejected(verify(t), 'unknown_key', t);
    expect(http.count('/jwks')).toBe(2);
    expect(events.some((e) => e.type === 'jwks_refresh_throttled')).toBe(true);

    // Once the interval has passed again, an unknown kid may refresh again, once.
    clock.advanceSeconds(31);
    await Promise.allSettled(sprayed.map((t) => verify(t)));
    expect(http.count('/jwks')).toBe(3);
    // The real token kept verifying throughout.
    await expect(verify(token)).resolves.toMatchObject({ kind: 'service' });
  });

  test('a token over the size limit is refused before it is parsed', async () => {
    const huge = `${token.split('.')[0]}.${base64url.encode('x'.repeat(20_000))}.${token.split('.')[2]}`;
    await expectRejected(verifier().verify(huge), 'too_large', huge);
    await expectRejected(verifier({ maxTokenBytes: 256 }).verify(token), 'too_large', token);
  });

  test.each([
    ['empty', ''],
    ['spaces', 'not a token'],
    ['three empty parts', '..'],
    ['a JWE', 'a.b.c.d.e'],
    ['a header that is not JSON', `${base64url.encode('{nope')}.e30.sig`],
    ['a header without alg', `${base64url.encode('{"typ":"JWT"}')}.e30.sig`],
    ['binary noise', '\u0000\u00ff\u{1f600}'],
  ])('garbage (%s) is malformed', async (_name, garbage) => {
    await expectRejected(verifier().verify(garbage), 'malformed');
  });

  test('the header of a real token names the key the verifier found', () => {
    // Guards the premise of the forgery tests above: the IdP signs with the kid we reuse.
    expect(decodeProtectedHeader(token).kid).toBe(idpJwk.kid);
  });
});

describe('an IdP that goes down after the first fetch', () => {
  test('cached keys keep verifying and the failure is reported as an event', async () => {
    const idp = await startDevIdp();
    const token = await machineToken(idp);
    const clock = new FakeClock();
    const events: OidcEvent[] = [];
    const { verify } = createTokenVerifier({
      issuer: idp.issuer,
      audiences: [AUDIENCE],
      now: clock.now,
      jwksCacheSeconds: 60,
      onEvent: (event) => events.push(event),
    });
    await verify(token);
    await idp.close();

    clock.advanceSeconds(61);
    await expect(verify(token)).resolves.toMatchObject({ subject: 'ci-runner' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'jwks_fetch_failed', servingCachedKeys: true }));
  });
});
