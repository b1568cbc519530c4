import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import {
  decodeRelayedKeyProof,
  encodeRelayedKeyProof,
  parseSignedUserAuth,
  RELAYED_KEY_PROOF_PREFIX,
} from './ssh-key-proof.js';

const string = (value: Buffer | string): Buffer => {
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** A publickey user-auth request's signed data (RFC 4252 §7). */
function signedData(fields: { method?: string; hasSignature?: number; trailing?: Buffer } = {}): Buffer {
  return Buffer.concat([
    string(Buffer.from('session-id-0123456789')),
    Buffer.from([50]),
    string('alice@example.com+web01'),
    string('ssh-connection'),
    string(fields.method ?? 'publickey'),
    Buffer.from([fields.hasSignature ?? 1]),
    string('ssh-ed25519'),
    string(Buffer.from('key blob')),
    fields.trailing ?? Buffer.alloc(0),
  ]);
}

describe('relayed key proofs', () => {
  test('round trip', () => {
    const proof = {
      publicKey: Buffer.from('key blob'),
      signed: signedData(),
      signature: randomBytes(83),
      hashAlgo: 'sha512',
    };
    const text = encodeRelayedKeyProof(proof);
    expect(text.startsWith(RELAYED_KEY_PROOF_PREFIX)).toBe(true);
    expect(decodeRelayedKeyProof(text)).toEqual(proof);
  });

  test('anything else decodes to null, never throws', () => {
    const valid = encodeRelayedKeyProof({
      publicKey: Buffer.from('k'),
      signed: signedData(),
      signature: Buffer.from('s'),
      hashAlgo: '',
    });
    for (const text of [
      'postern_conn_abc',
      RELAYED_KEY_PROOF_PREFIX,
      `${RELAYED_KEY_PROOF_PREFIX}!!!`,
      valid.slice(0, -3),
      `${valid}AAAA`,
      `${RELAYED_KEY_PROOF_PREFIX}${'A'.repeat(20_000)}`,
    ])
      expect(decodeRelayedKeyProof(text)).toBeNull();
    for (let i = 0; i < 200; i++)
      expect(() =>
        decodeRelayedKeyProof(`${RELAYED_KEY_PROOF_PREFIX}${randomBytes(i).toString('base64url')}`),
      ).not.toThrow();
  });

  test('the signed data of a publickey request is read; other shapes are not', () => {
    expect(parseSignedUserAuth(signedData())).toEqual({
      sessionId: Buffer.from('session-id-0123456789'),
      user: 'alice@example.com+web01',
      service: 'ssh-connection',
      method: 'publickey',
      algorithm: 'ssh-ed25519',
      publicKey: Buffer.from('key blob'),
    });
    expect(parseSignedUserAuth(signedData({ hasSignature: 0 }))).toBeNull();
    expect(parseSignedUserAuth(signedData({ trailing: Buffer.from('x') }))).toBeNull();
    expect(parseSignedUserAuth(signedData().subarray(0, 30))).toBeNull();
    for (let i = 0; i < 200; i++) expect(() => parseSignedUserAuth(randomBytes(i))).not.toThrow();
  });
});
