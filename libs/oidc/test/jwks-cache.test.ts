import { describe, expect, test } from '@jest/globals';
import { createTokenVerifier, type OidcEvent, type TokenVerifierOptions } from '../src/index.js';
import { FakeClock } from './support/fake-clock.js';
import { AUDIENCE, LocalIssuer } from './support/local-issuer.js';
import { expectRejected } from './support/rejection.js';

async function setup(overrides: Partial<TokenVerifierOptions> = {}) {
  const idp = new LocalIssuer();
  const first = await idp.addKey();
  const clock = new FakeClock();
  const events: OidcEvent[] = [];
  const verifier = createTokenVerifier({
    issuer: idp.issuer,
    audiences: [AUDIENCE],
    fetch: idp.fetch,
    now: clock.now,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  const sign = (key = first, claims: Record<string, unknown> = {}) =>
    idp.sign(key, claims, { nowSeconds: clock.nowSeconds() });
  return { idp, first, clock, events, verify: (token: string) => verifier.verify(token), sign };
}

describe('JWKS cache', () => {
  test('keys are discovered and fetched once, then reused', async () => {
    const { idp, verify, sign } = await setup();
    for (let i = 0; i < 5; i += 1) await verify(await sign());
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  test('concurrent verifications on a cold cache share one discovery and one JWKS request', async () => {
    const { idp, verify, sign } = await setup();
    const token = await sign();
    const identities = await Promise.all(Array.from({ length: 20 }, () => verify(token)));
    expect(identities.map((i) => i.subject)).toEqual(Array(20).fill('alice'));
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  test('a configured jwksUri skips discovery', async () => {
    const idp = new LocalIssuer();
    const key = await idp.addKey();
    const verifier = createTokenVerifier({
      issuer: idp.issuer,
      audiences: [AUDIENCE],
      jwksUri: idp.jwksUri,
      fetch: idp.fetch,
    });
    await verifier.verify(await idp.sign(key));
    expect(idp.requests).toEqual({ discovery: 0, jwks: 1 });
  });

  test('key rotation: a token signed with a new kid verifies after one refresh', async () => {
    const { idp, clock, verify, sign } = await setup({ minRefreshIntervalSeconds: 30 });
    await verify(await sign());
    clock.advanceSeconds(45);

    // The IdP rotates: it publishes a new key and signs with it from now on.
    const next = await idp.createUnpublishedKey();
    idp.publish(next);
    await expect(verify(await sign(next))).resolves.toMatchObject({ subject: 'alice' });
    expect(idp.requests.jwks).toBe(2);
    // Tokens signed with the previous key remain valid while it is published.
    await verify(await sign());
    expect(idp.requests.jwks).toBe(2);
  });

  test('a key that appears within the refresh interval verifies once the interval has passed', async () => {
    const { idp, clock, verify, sign } = await setup({ minRefreshIntervalSeconds: 30 });
    await verify(await sign());
    const next = await idp.createUnpublishedKey();
    idp.publish(next);

    clock.advanceSeconds(10);
    await expectRejected(verify(await sign(next)), 'unknown_key');
    expect(idp.requests.jwks).toBe(1);

    clock.advanceSeconds(21);
    await expect(verify(await sign(next))).resolves.toMatchObject({ subject: 'alice' });
    expect(idp.requests.jwks).toBe(2);
  });

  test('a key the IdP stops publishing is refused after jwksCacheSeconds', async () => {
    const { idp, first, clock, verify, sign } = await setup({ jwksCacheSeconds: 600 });
    const token = await sign();
    await verify(token);
    const replacement = await idp.addKey();
    idp.retire(first);

    clock.advanceSeconds(599);
    await verify(await sign(first));
    clock.advanceSeconds(2);
    await expectRejected(verify(await sign(first)), 'unknown_key');
    await expect(verify(await sign(replacement))).resolves.toMatchObject({ subject: 'alice' });
    expect(idp.requests.jwks).toBe(2);
  });

  test('an IdP outage after the first fetch: cached keys verify, the IdP is retried at most every interval', async () => {
    const { idp, clock, events, verify, sign } = await setup({ jwksCacheSeconds: 60, minRefreshIntervalSeconds: 30 });
    await verify(await sign());
    idp.down = true;

    clock.advanceSeconds(61);
    for (let i = 0; i < 10; i += 1) await verify(await sign());
    clock.advanceSeconds(31);
    await verify(await sign());
    expect(idp.attempts.jwks).toBe(3);
    expect(events.filter((e) => e.type === 'jwks_fetch_failed')).toEqual([
      expect.objectContaining({ servingCachedKeys: true, reason: expect.stringContaining('ECONNREFUSED') }),
      expect.objectContaining({ servingCachedKeys: true }),
    ]);

    // Back up: the next stale check refreshes successfully.
    idp.down = false;
    clock.advanceSeconds(31);
    await verify(await sign());
    expect(idp.requests.jwks).toBe(2);
  });

  test('an IdP unreachable from the start: jwks_unavailable, retried at most every interval', async () => {
    const { idp, clock, verify, sign } = await setup({ minRefreshIntervalSeconds: 30 });
    idp.down = true;
    const token = await sign();
    await expectRejected(verify(token), 'jwks_unavailable', token);
    await expectRejected(verify(token), 'jwks_unavailable', token);
    expect(idp.attempts.discovery).toBe(1);

    idp.down = false;
    clock.advanceSeconds(30);
    await expect(verify(token)).resolves.toMatchObject({ subject: 'alice' });
  });

  test('a discovery document naming another issuer is not trusted', async () => {
    const idp = new LocalIssuer();
    const key = await idp.addKey();
    const events: OidcEvent[] = [];
    const impostor = `${idp.issuer}/`;
    const verifier = createTokenVerifier({
      issuer: impostor,
      audiences: [AUDIENCE],
      fetch: idp.fetch,
      onEvent: (event) => events.push(event),
    });
    await expectRejected(verifier.verify(await idp.sign(key, { iss: impostor })), 'jwks_unavailable');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'discovery_failed', reason: expect.stringContaining('names issuer') }),
    );
  });

  test('static keys (air-gapped agent) verify without any request; unknown kids are refused', async () => {
    const idp = new LocalIssuer();
    const key = await idp.addKey();
    const other = await idp.createUnpublishedKey();
    const verifier = createTokenVerifier({
      issuer: idp.issuer,
      audiences: [AUDIENCE],
      jwks: { keys: [key.publicJwk] },
      fetch: idp.fetch,
    });
    await expect(verifier.verify(await idp.sign(key))).resolves.toMatchObject({ subject: 'alice' });
    await expectRejected(verifier.verify(await idp.sign(other)), 'unknown_key');
    expect(idp.attempts).toEqual({ discovery: 0, jwks: 0 });
  });

  test('a throwing onEvent listener does not change the outcome', async () => {
    const idp = new LocalIssuer();
    const key = await idp.addKey();
    const verifier = createTokenVerifier({
      issuer: idp.issuer,
      audiences: [AUDIENCE],
      fetch: idp.fetch,
      onEvent: () => {
        throw new Error('metrics backend down');
      },
    });
    await expect(verifier.verify(await idp.sign(key))).resolves.toMatchObject({ subject: 'alice' });
    await expectRejected(verifier.verify('garbage!'), 'malformed');
  });
});
