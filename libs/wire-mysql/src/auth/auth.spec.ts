import { describe, expect, test } from '@jest/globals';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  constants,
  sign,
  verify,
} from 'node:crypto';
import fc from 'fast-check';
import {
  cachingSha2Marker,
  cachingSha2Password,
  clearPassword,
  ed25519Password,
  ed25519PublicKey,
  nativePassword,
  nativePasswordHash,
  rsaEncryptPassword,
  verifyNativePassword,
} from '../index.js';

const sha = (algorithm: string, ...parts: Buffer[]) => {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return h.digest();
};
const nonce = Buffer.from('0123456789abcdefghij');

describe('mysql_native_password', () => {
  test("PASSWORD('secret') is the double SHA-1 MySQL stores", () => {
    expect(nativePasswordHash('secret').toString('hex').toUpperCase()).toBe('14E65567ABDB5135D0CFD9A70B3032C179A49EE7');
  });

  test('the server-side check accepts the right password only; empty password sends nothing', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (password, n) => {
        const scramble = nativePassword(password, n);
        expect(verifyNativePassword(scramble, n, nativePasswordHash(password))).toBe(true);
        expect(verifyNativePassword(scramble, n, nativePasswordHash(password + 'x'))).toBe(false);
      }),
      { numRuns: 50 },
    );
    expect(nativePassword('', nonce)).toHaveLength(0);
  });
});

describe('caching_sha2_password', () => {
  test('fast auth: the server recovers SHA256(password) from the scramble and its stored SHA256(SHA256(password))', () => {
    const password = Buffer.from('pässword');
    const stored = sha('sha256', sha('sha256', password));
    const scramble = cachingSha2Password(password, nonce);
    const key = sha('sha256', stored, nonce);
    const stage1 = Buffer.from(scramble.map((b, i) => b ^ key[i]!));
    expect(sha('sha256', stage1)).toEqual(stored);
    expect(cachingSha2Password('', nonce)).toHaveLength(0);
  });

  test('full auth over cleartext: RSA-OAEP of (password + NUL) XOR nonce', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const encrypted = rsaEncryptPassword('a long password, longer than the nonce', nonce, pem);
    const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, encrypted);
    const unmasked = Buffer.from(plain.map((b, i) => b ^ nonce[i % nonce.length]!));
    expect(unmasked.toString()).toBe('a long password, longer than the nonce\0');
  });

  test('the AuthMoreData markers', () => {
    expect(cachingSha2Marker(Buffer.from([3]))).toBe('fast-auth-success');
    expect(cachingSha2Marker(Buffer.from([4]))).toBe('perform-full-authentication');
    expect(cachingSha2Marker(Buffer.from('-----BEGIN PUBLIC KEY-----'))).toBeUndefined();
  });

  test('mysql_clear_password is the password and a NUL', () => {
    expect(clearPassword('pw')).toEqual(Buffer.from('pw\0'));
  });
});

describe('client_ed25519 (MariaDB)', () => {
  const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

  test('for 32-byte passwords it is standard Ed25519 with the password as the seed (node:crypto agrees)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (seed, n) => {
          const key = createPrivateKey({ key: Buffer.concat([pkcs8Prefix, seed]), format: 'der', type: 'pkcs8' });
          expect(ed25519Password(seed, n)).toEqual(sign(null, n, key));
          const publicDer = createPublicKey(key).export({ format: 'der', type: 'spki' });
          expect(ed25519PublicKey(seed)).toEqual(publicDer.subarray(publicDer.length - 32));
        },
      ),
      { numRuns: 10 },
    );
  });

  test('for any password the signature verifies under the public key MariaDB derives', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ minLength: 32, maxLength: 32 }), (password, n) => {
        const publicKey = createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: ed25519PublicKey(password).toString('base64url') },
          format: 'jwk',
        });
        expect(verify(null, n, publicKey, ed25519Password(password, n))).toBe(true);
      }),
      { numRuns: 10 },
    );
  });
});
