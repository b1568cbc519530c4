import { createHash } from 'node:crypto';

/**
 * The recording hash chain (recording.proto): the agent computes it as it cuts chunks, the control
 * plane recomputes it at ingest and when verifying a stored recording.
 *
 *   seed       = sha256("postern-recording:" + canonicalSessionId(session id))
 *   chain_hash = sha256(prev || uint64be(seq) || byte(final ? 1 : 0) || data)
 *
 * where `prev` is the previous chunk's chain hash, or the seed for seq 0.
 *
 * The canonical session id is the lowercase one. Session ids are UUIDs: the agent mints them with
 * `randomUUID()` (lowercase) and the control plane's database returns them lowercase, so every
 * chain stored so far was seeded with the lowercase form and keeps verifying. Lowercasing on both
 * sides only removes the case where an id spelled in capitals would seed two different chains.
 */

export const CHAIN_HASH_BYTES = 32;
const SEED_PREFIX = 'postern-recording:';

export function canonicalSessionId(sessionId: string): string {
  return sessionId.toLowerCase();
}

/** The seed of a session's chain; binds the chain to the session. */
export function chainSeed(sessionId: string): Buffer {
  return createHash('sha256')
    .update(`${SEED_PREFIX}${canonicalSessionId(sessionId)}`, 'utf8')
    .digest();
}

/** One link of the chain: the hash of chunk `seq` given the previous link. */
export function chainHash(prev: Uint8Array, seq: number, final: boolean, data: Uint8Array): Buffer {
  const header = Buffer.alloc(9);
  header.writeBigUInt64BE(BigInt(seq), 0);
  header[8] = final ? 1 : 0;
  return createHash('sha256').update(prev).update(header).update(data).digest();
}
