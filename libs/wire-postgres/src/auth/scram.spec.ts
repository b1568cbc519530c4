import { describe, expect, test } from '@jest/globals';
import {
  parseScramServerFirst,
  ProtocolError,
  type ProtocolErrorCode,
  scramClientFinal,
  scramClientFirst,
  scramKeys,
  verifyScramServerFinal,
} from '../index.js';

// RFC 7677 section 3, the SCRAM-SHA-256 example exchange.
const rfc = {
  user: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function codeOf(run: () => unknown): ProtocolErrorCode {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

describe('SCRAM-SHA-256 client', () => {
  const first = scramClientFirst({ username: rfc.user, nonce: rfc.clientNonce });

  test('client-first-message matches RFC 7677', () => {
    expect(first.message).toBe(rfc.clientFirst);
    expect(first.clientFirstMessageBare).toBe('n=user,r=rOprNGfwEbeRWgbNEkqO');
  });

  test('client-final-message carries the RFC 7677 proof', () => {
    expect(scramClientFinal(first, rfc.serverFirst, rfc.password).message).toBe(rfc.clientFinal);
  });

  test('accepts the RFC 7677 server signature, as text or bytes', () => {
    const final = scramClientFinal(first, Buffer.from(rfc.serverFirst), rfc.password);
    expect(() => verifyScramServerFinal(final, rfc.serverFinal)).not.toThrow();
    expect(() => verifyScramServerFinal(final, Buffer.from(rfc.serverFinal))).not.toThrow();
  });

  test('refuses a wrong server signature and a server-reported error', () => {
    const final = scramClientFinal(first, rfc.serverFirst, rfc.password);
    expect(codeOf(() => verifyScramServerFinal(final, 'v=' + Buffer.alloc(32).toString('base64')))).toBe(
      'AUTHENTICATION_FAILED',
    );
    expect(codeOf(() => verifyScramServerFinal(final, 'v=AAAA'))).toBe('AUTHENTICATION_FAILED');
    expect(codeOf(() => verifyScramServerFinal(final, 'e=invalid-proof'))).toBe('AUTHENTICATION_FAILED');
    expect(codeOf(() => verifyScramServerFinal(final, 'x=1'))).toBe('MALFORMED');
  });

  test('a wrong password yields a different proof', () => {
    expect(scramClientFinal(first, rfc.serverFirst, 'pencil2').message).not.toBe(rfc.clientFinal);
  });

  test('refuses a server nonce that does not extend the client nonce', () => {
    const forged = rfc.serverFirst.replace('r=rOpr', 'r=XOpr');
    expect(codeOf(() => scramClientFinal(first, forged, rfc.password))).toBe('AUTHENTICATION_FAILED');
    const same = `r=${rfc.clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`;
    expect(codeOf(() => parseScramServerFirst(same, rfc.clientNonce))).toBe('AUTHENTICATION_FAILED');
  });

  test('refuses malformed server-first-messages and excessive iteration counts', () => {
    const n = rfc.clientNonce;
    for (const bad of [
      '',
      `r=${n}x`,
      `r=${n}x,s=W22Z,i=0`,
      `r=${n}x,s=!!!!,i=4096`,
      `s=W22Z,r=${n}x,i=4096`,
      `r=${n}x,s=W22,i=4096`,
    ]) {
      expect(codeOf(() => parseScramServerFirst(bad, n))).toBe('MALFORMED');
    }
    expect(codeOf(() => parseScramServerFirst(`r=${n}x,s=W22Z,i=2000000`, n))).toBe('AUTHENTICATION_FAILED');
    expect(parseScramServerFirst(`r=${n}x,s=W22Z,i=2000000`, n, 2_000_000).iterations).toBe(2_000_000);
  });

  test('a generated nonce is fresh base64 and usernames are escaped', () => {
    const a = scramClientFirst();
    const b = scramClientFirst({ username: 'a=b,c' });
    expect(a.clientNonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(a.clientNonce).not.toBe(b.clientNonce);
    expect(a.message).toBe(`n,,n=,r=${a.clientNonce}`);
    expect(b.clientFirstMessageBare).toBe(`n=a=3Db=2Cc,r=${b.clientNonce}`);
  });

  test('scramKeys exposes the keys PostgreSQL stores', () => {
    const keys = scramKeys(rfc.password, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    expect(keys.saltedPassword).toHaveLength(32);
    expect(keys.storedKey).toHaveLength(32);
    expect(keys.serverKey).toHaveLength(32);
  });
});
