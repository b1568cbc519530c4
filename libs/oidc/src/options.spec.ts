import { describe, expect, test } from '@jest/globals';
import { OidcConfigurationError } from './errors.js';
import { createTokenVerifier } from './verifier.js';
import type { TokenVerifierOptions } from './options.js';

const base: TokenVerifierOptions = { issuer: 'https://idp.example.test', audiences: ['urn:postern:gateway'] };

describe('createTokenVerifier refuses unsafe configuration', () => {
  test.each([['none'], ['NONE'], ['HS256'], ['hs512'], ['HS384']])('allowedAlgorithms with %s', (alg) => {
    expect(() => createTokenVerifier({ ...base, allowedAlgorithms: ['RS256', alg] })).toThrow(OidcConfigurationError);
  });

  test.each<[string, Partial<TokenVerifierOptions>]>([
    ['an empty algorithm list', { allowedAlgorithms: [] }],
    ['an unknown algorithm', { allowedAlgorithms: ['RS257'] }],
    ['no audience', { audiences: [] }],
    ['an empty audience', { audiences: [''] }],
    ['an issuer that is not a URL', { issuer: 'idp' }],
    ['both static keys and a JWKS URI', { jwks: { keys: [] }, jwksUri: 'https://idp.example.test/jwks' }],
    ['a negative clock tolerance', { clockToleranceSeconds: -1 }],
    ['a zero size limit', { maxTokenBytes: 0 }],
    [
      'an introspection endpoint that is not a URL',
      { introspection: { endpoint: 'x', clientId: 'a', clientSecret: 'b' } },
    ],
  ])('%s', (_name, overrides) => {
    expect(() => createTokenVerifier({ ...base, ...overrides })).toThrow(OidcConfigurationError);
  });

  test('the defaults construct', () => {
    expect(() => createTokenVerifier(base)).not.toThrow();
  });
});
