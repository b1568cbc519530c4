import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { exportJWK, generateKeyPair } from 'jose';
import { TokenRejectedError } from './errors.js';
import { createTokenVerifier } from './verifier.js';

describe('verify on arbitrary input', () => {
  test('never accepts, never throws anything but TokenRejectedError, never echoes the input', async () => {
    const { publicKey } = await generateKeyPair('RS256');
    const verifier = createTokenVerifier({
      issuer: 'https://idp.example.test',
      audiences: ['urn:postern:gateway'],
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] },
    });
    const segment = fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
    const jwtLike = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'));
    // A well-formed header gets garbage past the cheap checks and into jose's.
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url');
    const claims = fc
      .record({ iss: fc.constant('https://idp.example.test'), aud: fc.string(), exp: fc.double(), sub: fc.anything() })
      .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));
    const signedLike = fc.tuple(claims, segment).map(([payload, signature]) => `${header}.${payload}.${signature}`);
    const inputs = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jwtLike, signedLike);
    await fc.assert(
      fc.asyncProperty(inputs, async (input) => {
        const outcome = await verifier.verify(input).then(
          () => 'accepted',
          (error: unknown) => error,
        );
        expect(outcome).toBeInstanceOf(TokenRejectedError);
        if (input.length >= 12) expect((outcome as TokenRejectedError).message).not.toContain(input);
      }),
      { numRuns: 100 },
    );
  });
});
