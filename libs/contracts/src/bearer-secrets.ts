import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer secrets minted by the control plane: one-time enrollment tokens, agent-group join tokens
 * (reusable: each replica that presents one enrols as an agent of its own), agent credentials and
 * connection credentials (what a user presents as the database password). The control plane mints
 * and checks all four; the agent checks connection credentials against the hashes in its policy
 * snapshot, so both must read the format the same way.
 *
 * Shape: `postern_<kind>_<id as 32 hex>_<43 chars of base64url randomness (256 bits)>`. The id
 * finds the row; only sha256(secret) is stored and compared in constant time. A fast hash is the
 * right tool here (not bcrypt/argon2): the secret is 256 random bits, so there is nothing to
 * brute-force, and the comparison runs on every connection.
 */
export type SecretKind = 'enroll' | 'join' | 'agent' | 'conn';

const SHAPE = /^postern_(enroll|join|agent|conn)_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
export const SECRET_HASH_BYTES = 32;

export interface MintedSecret {
  /** What the holder presents. Shown once, never stored. */
  token: string;
  hash: Buffer<ArrayBuffer>;
}

export interface ParsedSecret {
  /** The row id, as a lowercase hyphenated UUID. */
  id: string;
  secret: string;
}

export function mintSecret(kind: SecretKind, id: string): MintedSecret {
  return formatSecret(kind, id, randomBytes(32).toString('base64url'));
}

/** The token for a given id and secret (minting draws the secret; tests fix it). */
export function formatSecret(kind: SecretKind, id: string, secret: string): MintedSecret {
  return { token: `postern_${kind}_${id.replaceAll('-', '').toLowerCase()}_${secret}`, hash: hashSecret(secret) };
}

/** Splits a presented token; null when it is not of the expected kind and shape. */
export function parseSecret(kind: SecretKind, token: string): ParsedSecret | null {
  const match = SHAPE.exec(token);
  if (!match || match[1] !== kind) return null;
  const hex = match[2]!;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret: match[3]! };
}

export function hashSecret(secret: string): Buffer<ArrayBuffer> {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Constant-time check of a presented secret against a stored hash (both 32 bytes). */
export function secretMatches(secret: string, storedHash: Uint8Array | null | undefined): boolean {
  if (!storedHash || storedHash.length !== SECRET_HASH_BYTES) return false;
  return timingSafeEqual(hashSecret(secret), storedHash);
}
