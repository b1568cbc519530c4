import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AUDIT_HASH_BYTES } from './audit-chain.js';
import type { AuditProblem } from './audit-chain-verification.js';

/**
 * Signed checkpoints of the audit chain's head. Pure functions: no I/O.
 *
 * A checkpoint says "the chain held event `seq` with hash `hash` at time `at`", signed with
 * Ed25519 by the control plane and published outside the database (the logs). Whoever can rewrite
 * the database cannot sign: deleting the tail of the log, or rewriting it into a new consistent
 * chain, then disagrees with a checkpoint published earlier.
 *
 * The signed bytes are the UTF-8 of `postern-audit-checkpoint v1\n` followed by
 * `{"seq":"<decimal>","hash":"<64 hex>","at":"<ISO 8601 UTC with ms>"}` (that order, no
 * whitespace): what an external verifier rebuilds from a published line (docs/operations.md).
 */

const DOMAIN = 'postern-audit-checkpoint v1\n';
const SEQ = /^\d{1,19}$/;
const HASH = new RegExp(`^[0-9a-f]{${AUDIT_HASH_BYTES * 2}}$`);
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

export interface AuditCheckpoint {
  seq: bigint;
  hash: Buffer;
  at: Date;
}

export interface SignedCheckpoint {
  checkpoint: AuditCheckpoint;
  /** Ed25519 signature of checkpointMessage(checkpoint), 64 bytes. */
  signature: Buffer;
  /** keyIdOf the signing key's public half, so that a verifier picks the right key. */
  keyId: string;
}

/** The fields of a published line: `{ checkpoint: { seq, hash, at }, signature, keyId }`. */
export interface PublishedCheckpoint {
  checkpoint: { seq: string; hash: string; at: string };
  signature: string;
  keyId: string;
}

export function checkpointMessage(checkpoint: AuditCheckpoint): Buffer {
  const body =
    `{"seq":${JSON.stringify(checkpoint.seq.toString())},"hash":${JSON.stringify(checkpoint.hash.toString('hex'))}` +
    `,"at":${JSON.stringify(checkpoint.at.toISOString())}}`;
  return Buffer.from(DOMAIN + body, 'utf8');
}

/** First 16 hex digits of sha256 over the public key (SPKI DER). */
export function keyIdOf(key: KeyObject): string {
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}

export function signCheckpoint(checkpoint: AuditCheckpoint, privateKey: KeyObject): SignedCheckpoint {
  return { checkpoint, signature: sign(null, checkpointMessage(checkpoint), privateKey), keyId: keyIdOf(privateKey) };
}

/** True when the signature verifies under one of `publicKeys`. */
export function checkpointVerifies(signed: SignedCheckpoint, publicKeys: KeyObject[]): boolean {
  const message = checkpointMessage(signed.checkpoint);
  return publicKeys.some((key) => {
    try {
      return verify(null, message, key, signed.signature);
    } catch {
      return false;
    }
  });
}

export function publishedCheckpoint(signed: SignedCheckpoint): PublishedCheckpoint {
  return {
    checkpoint: {
      seq: signed.checkpoint.seq.toString(),
      hash: signed.checkpoint.hash.toString('hex'),
      at: signed.checkpoint.at.toISOString(),
    },
    signature: signed.signature.toString('base64'),
    keyId: signed.keyId,
  };
}

/**
 * Reads a checkpoint back from one line of a log (JSON with `checkpoint` and `signature` members,
 * whatever else the logger added). Null: the line is not a checkpoint (other log lines are skipped);
 * a string: the line claims to be one but is malformed.
 */
export function parseCheckpointLine(line: string): SignedCheckpoint | string | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || !('checkpoint' in value)) return null;
  const { checkpoint, signature, keyId } = value as Record<string, unknown>;
  if (checkpoint === null || typeof checkpoint !== 'object') return '"checkpoint" must be an object';
  const { seq, hash, at } = checkpoint as Record<string, unknown>;
  if (typeof seq !== 'string' || !SEQ.test(seq)) return '"checkpoint.seq" must be a decimal string';
  if (typeof hash !== 'string' || !HASH.test(hash)) return '"checkpoint.hash" must be 64 hex digits';
  const date = typeof at === 'string' ? new Date(at) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== at) return '"checkpoint.at" must be an ISO 8601 instant';
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return '"signature" must be 64 bytes in base64';
  return {
    checkpoint: { seq: BigInt(seq), hash: Buffer.from(hash, 'hex'), at: date },
    signature: Buffer.from(signature, 'base64'),
    keyId: typeof keyId === 'string' ? keyId : '',
  };
}

/**
 * What verified checkpoints say about the chain as read:
 * - `truncated`: the chain ends before a checkpoint's seq (its tail was deleted);
 * - `rewritten`: the event at a checkpoint's seq has another hash (the chain was rebuilt, or its
 *   tail deleted and new events appended in its place).
 * `head` is the last seq read, or null when the chain is empty; `hashAt` the stored hash at a seq
 * within the range read (null when the event is missing: the chain walk reports that itself).
 * Checkpoints with seq below `fromSeq` are outside the range read and are not compared.
 */
export async function compareWithCheckpoints(
  checkpoints: AuditCheckpoint[],
  range: { fromSeq: bigint; head: bigint | null },
  hashAt: (seq: bigint) => Promise<Buffer | null>,
): Promise<AuditProblem[]> {
  const problems: AuditProblem[] = [];
  // The latest checkpoint past the head says the most; one problem for the truncation.
  const beyond = checkpoints.filter((c) => range.head === null || c.seq > range.head);
  const furthest = beyond.reduce<AuditCheckpoint | null>((a, c) => (a === null || c.seq > a.seq ? c : a), null);
  if (furthest) {
    const first = range.head === null ? 'the first event' : `seq ${range.head + 1n}`;
    problems.push({
      seq: range.head === null ? furthest.seq : range.head + 1n,
      problem: 'truncated',
      detail:
        `the log ends ${range.head === null ? 'empty' : `at seq ${range.head}`}, but a checkpoint signed at ` +
        `${furthest.at.toISOString()} saw seq ${furthest.seq}: events from ${first} on were deleted`,
    });
  }
  const seen = new Set<string>();
  for (const checkpoint of checkpoints) {
    if (checkpoint.seq < range.fromSeq || (range.head !== null && checkpoint.seq > range.head) || range.head === null)
      continue;
    const key = `${checkpoint.seq}:${checkpoint.hash.toString('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const stored = await hashAt(checkpoint.seq);
    if (stored === null || stored.equals(checkpoint.hash)) continue;
    problems.push({
      seq: checkpoint.seq,
      problem: 'rewritten',
      detail:
        `a checkpoint signed at ${checkpoint.at.toISOString()} saw hash ${checkpoint.hash.toString('hex')} at this seq; ` +
        `the log holds ${stored.toString('hex')} (the chain was rebuilt from here or earlier)`,
    });
  }
  return problems.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
}
