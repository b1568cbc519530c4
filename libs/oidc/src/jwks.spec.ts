import { describe, expect, test } from '@jest/globals';
import { publicSigningKeys } from './jwks.js';

describe('publicSigningKeys', () => {
  test('keeps public signing keys and drops symmetric, private and encryption keys', () => {
    const rsa = { kty: 'RSA', kid: 'rsa', n: 'AQAB', e: 'AQAB' };
    const ec = { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'x', y: 'y', use: 'sig' };
    const document = {
      keys: [
        rsa,
        ec,
        { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
        { kty: 'RSA', kid: 'private', n: 'AQAB', e: 'AQAB', d: 'AQAB' },
        { kty: 'RSA', kid: 'enc', n: 'AQAB', e: 'AQAB', use: 'enc' },
        'not a key',
      ],
    };
    expect(publicSigningKeys(document)).toEqual({ keys: [rsa, ec] });
  });

  test.each([null, [], { keys: 'x' }, 'jwks'])('refuses a document that is not a JWKS (%p)', (document) => {
    expect(() => publicSigningKeys(document)).toThrow('"keys" array');
  });
});
