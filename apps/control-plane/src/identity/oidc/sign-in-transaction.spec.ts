import { describe, expect, test } from '@jest/globals';
import { SignInTransactionSealer, type SignInTransaction } from './sign-in-transaction.js';

const transaction: SignInTransaction = {
  id: 'tx-1',
  state: 'state-1',
  nonce: 'nonce-1',
  codeVerifier: 'verifier-that-must-stay-secret',
  redirect: '/connections',
  expiresAt: 2_000_000,
};

describe('SignInTransactionSealer', () => {
  const sealer = new SignInTransactionSealer('a'.repeat(40));

  test('opens what it sealed, until it expires', () => {
    const sealed = sealer.seal(transaction);
    expect(sealer.open(sealed, 1_000_000)).toEqual(transaction);
    expect(sealer.open(sealed, 2_000_000)).toBeNull();
  });

  test('hides the PKCE verifier and nonce from the browser', () => {
    const sealed = Buffer.from(sealer.seal(transaction), 'base64url').toString('latin1');
    expect(sealed).not.toContain('verifier-that-must-stay-secret');
    expect(sealed).not.toContain('nonce-1');
  });

  test('refuses any altered byte, a value sealed with another key, and garbage', () => {
    const sealed = Buffer.from(sealer.seal(transaction), 'base64url');
    for (let offset = 0; offset < sealed.length; offset += 1) {
      const altered = Buffer.from(sealed);
      altered[offset] = altered[offset]! ^ 0x01;
      expect(sealer.open(altered.toString('base64url'), 1_000_000)).toBeNull();
    }
    const other = new SignInTransactionSealer('b'.repeat(40));
    expect(other.open(sealer.seal(transaction), 1_000_000)).toBeNull();
    expect(sealer.open('', 1_000_000)).toBeNull();
    expect(sealer.open('not-base64-!!', 1_000_000)).toBeNull();
  });
});
