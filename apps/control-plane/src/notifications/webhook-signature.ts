import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new webhook signing secret (256 random bits). Shown to the admin once, stored sealed. */
export function newSigningSecret(): string {
  return `postern_whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The `x-postern-signature` header: `sha256=` and the hex HMAC-SHA256, keyed with the signing
 * secret (its UTF-8 bytes, as shown), over `<x-postern-timestamp>.<raw body>`.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * What a receiver does (documented in docs/operations.md): recompute the signature, compare in
 * constant time, and refuse a timestamp further than `toleranceSeconds` from its clock (replays).
 */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
