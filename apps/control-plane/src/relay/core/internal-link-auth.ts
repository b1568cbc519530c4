import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Mutual authentication on the internal link: each side proves it holds POSTERN_INTERNAL_SECRET
 * with an HMAC-SHA256 over both nonces, a role label (a client proof is never valid as a server
 * proof) and, over TLS, the channel's exported keying material — so a proof cannot be relayed
 * through a man in the middle terminating TLS with a certificate of its own.
 */
export type LinkRole = 'client' | 'server';

export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

export function linkMac(
  secret: Buffer,
  role: LinkRole,
  serverNonce: string,
  clientNonce: string,
  channelBinding: Buffer,
): string {
  return createHmac('sha256', secret)
    .update(`postern-internal-link-v1\0${role}\0${serverNonce}\0${clientNonce}\0`)
    .update(channelBinding)
    .digest('hex');
}

/** Constant-time comparison; anything malformed is simply false (fail closed). */
export function macMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(received, 'hex');
  return a.length === 32 && b.length === a.length && timingSafeEqual(a, b);
}
