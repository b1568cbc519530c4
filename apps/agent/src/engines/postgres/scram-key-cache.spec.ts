import { describe, expect, test } from '@jest/globals';
import {
  scramClientFinal,
  scramClientFirst,
  scramKeys,
  verifyScramServerFinal,
  type ScramKeys,
} from '@postern/wire-postgres';
import { createHash, createHmac } from 'node:crypto';
import { ScramKeyCache } from './scram-key-cache.js';

const SALT = Buffer.from('0123456789abcdef');

/** Counts PBKDF2 runs behind the cache. */
function counting(): { cache: ScramKeyCache; derived: () => number } {
  let derived = 0;
  const cache = new ScramKeyCache(2, (password, salt, iterations) => {
    derived += 1;
    return scramKeys(password, salt, iterations);
  });
  return { cache, derived: () => derived };
}

/** The server half of one SCRAM exchange for a stored verifier (what PostgreSQL does). */
function serverExchange(
  stored: ScramKeys,
  salt: Buffer,
  derive: ReturnType<ScramKeyCache['forRole']>,
  password: string,
) {
  const first = scramClientFirst();
  const serverFirst = `r=${first.clientNonce}server-part,s=${salt.toString('base64')},i=4096`;
  const final = scramClientFinal(first, serverFirst, password, undefined, derive);
  const withoutProof = final.message.slice(0, final.message.lastIndexOf(',p='));
  const authMessage = `${first.clientFirstMessageBare},${serverFirst},${withoutProof}`;
  const proof = Buffer.from(final.message.slice(final.message.lastIndexOf(',p=') + 3), 'base64');
  const signature = createHmac('sha256', stored.storedKey).update(authMessage).digest();
  const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
  const accepted = createHash('sha256').update(clientKey).digest().equals(stored.storedKey);
  const serverSignature = createHmac('sha256', stored.serverKey).update(authMessage).digest('base64');
  return { accepted, final, serverFinal: `v=${serverSignature}` };
}

describe('ScramKeyCache', () => {
  test('derives once per (role, salt, iterations) and the cached keys still log in', () => {
    const { cache, derived } = counting();
    const stored = scramKeys('s3cret', SALT, 4096);
    for (let i = 0; i < 3; i += 1) {
      const { accepted, final, serverFinal } = serverExchange(stored, SALT, cache.forRole('db:5432/app'), 's3cret');
      expect(accepted).toBe(true);
      expect(() => verifyScramServerFinal(final, serverFinal)).not.toThrow();
    }
    expect(derived()).toBe(1);
  });

  test('a different password for the same role and salt is derived afresh, and refused by the server', () => {
    const { cache, derived } = counting();
    const stored = scramKeys('s3cret', SALT, 4096);
    expect(serverExchange(stored, SALT, cache.forRole('r'), 's3cret').accepted).toBe(true);
    expect(serverExchange(stored, SALT, cache.forRole('r'), 'wrong').accepted).toBe(false);
    expect(derived()).toBe(2);
    // The right password still works after the wrong one replaced the entry.
    expect(serverExchange(stored, SALT, cache.forRole('r'), 's3cret').accepted).toBe(true);
  });

  test('a new salt (the role password was reset) or iteration count derives new keys', () => {
    const { cache, derived } = counting();
    cache.keys('r', 'pw', SALT, 4096);
    cache.keys('r', 'pw', Buffer.from('another salt 123'), 4096);
    cache.keys('r', 'pw', SALT, 8192);
    expect(derived()).toBe(3);
    expect(cache.keys('r', 'pw', SALT, 8192)).toEqual(scramKeys('pw', SALT, 8192));
  });

  test('keeps at most its bound, dropping the least recently used', () => {
    const { cache, derived } = counting();
    cache.keys('a', 'pw', SALT, 4096);
    cache.keys('b', 'pw', SALT, 4096);
    cache.keys('a', 'pw', SALT, 4096); // a is now the most recent
    cache.keys('c', 'pw', SALT, 4096); // evicts b
    expect(cache.size).toBe(2);
    expect(derived()).toBe(3);
    cache.keys('a', 'pw', SALT, 4096);
    expect(derived()).toBe(3);
    cache.keys('b', 'pw', SALT, 4096);
    expect(derived()).toBe(4);
  });
});
