import { beforeAll, describe, expect, test } from '@jest/globals';
import { createTokenVerifier, type TokenVerifierOptions } from '../src/index.js';
import { FakeClock } from './support/fake-clock.js';
import { AUDIENCE, LocalIssuer } from './support/local-issuer.js';
import { expectRejected } from './support/rejection.js';

describe('claims of a correctly signed token', () => {
  const idp = new LocalIssuer();
  let rsa: Awaited<ReturnType<LocalIssuer['addKey']>>;

  beforeAll(async () => {
    rsa = await idp.addKey('RS256');
  });

  function verifier(overrides: Partial<TokenVerifierOptions> = {}) {
    const clock = new FakeClock();
    const instance = createTokenVerifier({
      issuer: idp.issuer,
      audiences: [AUDIENCE],
      fetch: idp.fetch,
      now: clock.now,
      ...overrides,
    });
    return {
      clock,
      verify: (token: string) => instance.verify(token),
      sign: (claims: Record<string, unknown> = {}, key = rsa) =>
        idp.sign(key, claims, { nowSeconds: clock.nowSeconds() }),
    };
  }

  test('a user token yields a user identity with email, name and groups', async () => {
    const { verify, sign, clock } = verifier();
    const identity = await verify(
      await sign({ email: 'alice@example.com', name: 'Alice Engineer', azp: 'postern-cli', nbf: clock.nowSeconds() }),
    );
    expect(identity).toEqual({
      subject: 'alice',
      issuer: idp.issuer,
      audience: AUDIENCE,
      expiresAt: new Date((clock.nowSeconds() + 300) * 1000),
      notBefore: new Date(clock.nowSeconds() * 1000),
      groups: ['engineers'],
      clientId: 'postern-cli',
      email: 'alice@example.com',
      name: 'Alice Engineer',
      kind: 'user',
      claims: expect.objectContaining({ sub: 'alice' }),
    });
  });

  test('the audience may be one of several, and aud may be an array', async () => {
    const { verify, sign } = verifier({ audiences: ['urn:postern:api', AUDIENCE] });
    const identity = await verify(await sign({ aud: ['account', AUDIENCE] }));
    expect(identity.audience).toBe(AUDIENCE);
  });

  test('nbf in the future is not yet valid; within the clock tolerance it is accepted', async () => {
    const { verify, sign, clock } = verifier({ clockToleranceSeconds: 30 });
    await expect(verify(await sign({ nbf: clock.nowSeconds() + 20 }))).resolves.toMatchObject({ subject: 'alice' });
    const early = await sign({ nbf: clock.nowSeconds() + 60 });
    await expectRejected(verify(early), 'not_yet_valid', early);
  });

  test('a token signed by a trusted key for another issuer is refused as wrong_issuer', async () => {
    const { verify, sign } = verifier();
    const token = await sign({ iss: 'https://evil.example.com' });
    await expectRejected(verify(token), 'wrong_issuer', token);
  });

  test.each([
    ['sub', { sub: undefined }],
    ['iat', { iat: undefined }],
    ['exp', { exp: undefined }],
    ['aud', { aud: undefined }],
  ])('a token without %s is refused as missing_claim', async (claim, claims) => {
    const { verify, sign } = verifier();
    const rejection = await expectRejected(verify(await sign(claims)), 'missing_claim');
    expect(rejection.message).toContain(`"${claim}"`);
  });

  test('exp stays required even when requiredClaims leaves it out', async () => {
    const { verify, sign } = verifier({ requiredClaims: [] });
    await expectRejected(verify(await sign({ exp: undefined })), 'missing_claim');
    await expect(verify(await sign({ iat: undefined }))).resolves.toMatchObject({ subject: 'alice' });
  });

  test('a service token without sub takes its client id as subject', async () => {
    const { verify, sign } = verifier({ requiredClaims: ['exp'] });
    const identity = await verify(await sign({ sub: undefined, client_id: 'backup-job', groups: ['backups'] }));
    expect(identity).toMatchObject({
      subject: 'backup-job',
      clientId: 'backup-job',
      kind: 'service',
      groups: ['backups'],
    });
  });

  test('groups come from a dotted claim path (Keycloak realm roles)', async () => {
    const { verify, sign } = verifier({ groupsClaim: 'realm_access.roles' });
    const identity = await verify(await sign({ groups: undefined, realm_access: { roles: ['dba', 'oncall'] } }));
    expect(identity.groups).toEqual(['dba', 'oncall']);
  });

  test('claim types that are wrong are malformed, not silently accepted', async () => {
    const { verify, sign } = verifier();
    await expectRejected(verify(await sign({ exp: 'tomorrow' })), 'malformed');
  });

  test.each(['ES256', 'PS256', 'EdDSA'])('%s tokens verify when allowed', async (alg) => {
    const key = await idp.addKey(alg);
    const { verify, sign } = verifier();
    await expect(verify(await sign({}, key))).resolves.toMatchObject({ subject: 'alice' });
  });

  test('an algorithm outside the configured allow-list is refused before any key lookup', async () => {
    const key = await idp.addKey('ES256');
    const { verify, sign } = verifier({ allowedAlgorithms: ['RS256'] });
    const token = await sign({}, key);
    const rejection = await expectRejected(verify(token), 'algorithm_not_allowed', token);
    expect(rejection.message).toContain('"ES256"');
  });

  test('a token without kid is checked against every key of its type', async () => {
    const second = await idp.addKey('RS256');
    const { verify } = verifier();
    for (const key of [rsa, second]) {
      const token = await idp.sign(key, {}, { header: { kid: undefined } });
      await expect(verify(token)).resolves.toMatchObject({ subject: 'alice' });
    }
    const stranger = await idp.createUnpublishedKey('RS256');
    const forged = await idp.sign(stranger, {}, { header: { kid: undefined } });
    await expectRejected(verify(forged), 'bad_signature', forged);
  });
});
