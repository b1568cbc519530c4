import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { newSigningSecret, signWebhook, verifyWebhook } from './webhook-signature.js';

describe('webhook signatures', () => {
  const secret = newSigningSecret();
  const body = '{"id":"1","type":"review.created"}';

  test('sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">, keyed with the secret as shown', () => {
    expect(secret).toMatch(/^postern_whsec_[A-Za-z0-9_-]{43}$/);
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1_700_000_000, body)).toBe(`sha256=${expected}`);
  });

  test('a receiver accepts it within the tolerance, and nothing else', () => {
    const signature = signWebhook(secret, 1_700_000_000, body);
    const at = (timestamp: string) => ({ signature, timestamp });
    expect(verifyWebhook(secret, at('1700000000'), body, 1_700_000_100)).toBe(true);
    expect(verifyWebhook(secret, at('1700000000'), body, 1_700_000_301)).toBe(false);
    expect(verifyWebhook(secret, at('1700000001'), body, 1_700_000_000)).toBe(false);
    expect(verifyWebhook(secret, at('1700000000'), `${body} `, 1_700_000_000)).toBe(false);
    expect(verifyWebhook(newSigningSecret(), at('1700000000'), body, 1_700_000_000)).toBe(false);
    expect(verifyWebhook(secret, { signature: undefined, timestamp: '1700000000' }, body, 1_700_000_000)).toBe(false);
  });
});
