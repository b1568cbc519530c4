import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError, secretKeyMaterial } from './secret-box.js';

const key = randomBytes(32);

describe('SecretBox', () => {
  test('opens what it sealed, for the same record; the ciphertext does not contain the secret', () => {
    const box = new SecretBox(key, 'test');
    const sealed = box.seal('postern_whsec_abc', 'row-1');
    expect(sealed.toString('latin1')).not.toContain('postern_whsec_abc');
    expect(box.open(sealed, 'row-1')).toBe('postern_whsec_abc');
    expect(box.seal('same', 'row-1').equals(box.seal('same', 'row-1'))).toBe(false);
  });

  test('refuses a value bound to another record, altered, or sealed with another key or purpose', () => {
    const box = new SecretBox(key, 'test');
    const sealed = box.seal('secret', 'row-1');
    expect(() => box.open(sealed, 'row-2')).toThrow(SecretBoxError);
    const altered = Buffer.from(sealed);
    altered[altered.length - 20]! ^= 1;
    expect(() => box.open(altered, 'row-1')).toThrow(/altered/);
    expect(() => new SecretBox(randomBytes(32), 'test').open(sealed, 'row-1')).toThrow(/another key/);
    expect(() => new SecretBox(key, 'other purpose').open(sealed, 'row-1')).toThrow(/another key/);
    expect(() => box.open(Buffer.from([1, 2, 3]), 'row-1')).toThrow(/not a sealed secret/);
  });

  test('uses the configured key, else the bootstrap token', () => {
    expect(secretKeyMaterial({ secrets: { encryptionKey: key }, admin: { bootstrapToken: 'x'.repeat(40) } })).toBe(key);
    expect(
      secretKeyMaterial({ secrets: { encryptionKey: null }, admin: { bootstrapToken: 'x'.repeat(40) } }).toString(),
    ).toBe('x'.repeat(40));
  });
});
