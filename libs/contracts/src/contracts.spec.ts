import { describe, expect, test } from '@jest/globals';
import {
  chainHash,
  chainSeed,
  CONNECTION_CREDENTIAL_VECTOR as credential,
  formatSecret,
  mintSecret,
  parseSecret,
  RECORDING_CHAIN_VECTOR as chain,
  secretMatches,
} from './index.js';

describe('recording chain', () => {
  test('reproduces the pinned chain', () => {
    let prev = chainSeed(chain.sessionId);
    expect(prev.toString('hex')).toBe(chain.seedHex);
    for (const chunk of chain.chunks) {
      prev = chainHash(prev, chunk.seq, chunk.final, Buffer.from(chunk.data, 'utf8'));
      expect(prev.toString('hex')).toBe(chunk.chainHashHex);
    }
  });

  test('a session id in capitals seeds the same chain', () => {
    expect(chainSeed(chain.sessionIdUppercase).toString('hex')).toBe(chain.seedHex);
  });

  test('seq, final flag and data each change the link', () => {
    const seed = chainSeed(chain.sessionId);
    const data = Buffer.from(chain.chunks[0].data, 'utf8');
    const base = chainHash(seed, 0, false, data);
    expect(chainHash(seed, 1, false, data).equals(base)).toBe(false);
    expect(chainHash(seed, 0, true, data).equals(base)).toBe(false);
    expect(chainHash(seed, 0, false, Buffer.concat([data, Buffer.from(' ')])).equals(base)).toBe(false);
  });
});

describe('connection credential', () => {
  test('formats and parses the pinned token', () => {
    const formatted = formatSecret('conn', credential.credentialId, credential.secret);
    expect(formatted.token).toBe(credential.token);
    expect(formatted.hash.toString('hex')).toBe(credential.secretHashHex);
    expect(parseSecret('conn', credential.token)).toEqual({ id: credential.credentialId, secret: credential.secret });
    expect(secretMatches(credential.secret, Buffer.from(credential.secretHashHex, 'hex'))).toBe(true);
  });

  test('refuses near misses and other kinds', () => {
    for (const token of credential.malformed) expect(parseSecret('conn', token)).toBeNull();
    expect(parseSecret('agent', credential.token)).toBeNull();
    expect(secretMatches(credential.secret, Buffer.alloc(31))).toBe(false);
    expect(secretMatches(credential.secret, null)).toBe(false);
  });

  test('a minted token parses back to its id and matches its hash', () => {
    const minted = mintSecret('agent', credential.credentialId);
    const parsed = parseSecret('agent', minted.token);
    expect(parsed?.id).toBe(credential.credentialId);
    expect(secretMatches(parsed!.secret, minted.hash)).toBe(true);
  });
});
