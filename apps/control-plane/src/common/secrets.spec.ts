import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mintSecret, parseSecret, secretMatches } from './secrets.js';

describe('agent secrets', () => {
  test('a minted token parses back to its id and matches its hash only', () => {
    const id = randomUUID();
    const minted = mintSecret('agent', id);
    const parsed = parseSecret('agent', minted.token);
    expect(parsed?.id).toBe(id);
    expect(secretMatches(parsed!.secret, minted.hash)).toBe(true);
    const other = mintSecret('agent', id);
    expect(secretMatches(parsed!.secret, other.hash)).toBe(false);
  });

  test('the token is not stored: the hash does not contain it', () => {
    const minted = mintSecret('enroll', randomUUID());
    expect(minted.hash.toString('hex')).not.toContain(minted.token.split('_').pop());
    expect(minted.hash).toHaveLength(32);
  });

  test('a token of the other kind or a mangled one is refused', () => {
    const id = randomUUID();
    const enroll = mintSecret('enroll', id).token;
    expect(parseSecret('agent', enroll)).toBeNull();
    expect(parseSecret('enroll', `${enroll}x`)).toBeNull();
    expect(parseSecret('enroll', '')).toBeNull();
    expect(parseSecret('enroll', enroll.replace('postern_enroll_', 'postern_enroll_zz'))).toBeNull();
    expect(secretMatches('anything', null)).toBe(false);
    expect(secretMatches('anything', Buffer.alloc(3))).toBe(false);
  });
});
