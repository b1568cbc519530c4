import { chainHash, chainSeed } from '@postern/contracts';
import type { ChunkHead, RecordingProblem, StoredChunk } from './recording.types.js';

/** Where the verification reads a session's stored chunks from. */
export interface ChunkSource {
  /** Every stored chunk's seq, hash and final flag, in seq order. */
  heads(): Promise<ChunkHead[]>;
  /** The given chunks with their data. */
  chunks(seqs: number[]): Promise<StoredChunk[]>;
}

export interface ChainVerdict {
  /** Chunks stored and checked. */
  chunks: number;
  problems: RecordingProblem[];
  headHash: Buffer | null;
}

/** Chunks whose data is loaded at once while walking the chain (each is at most 4 MiB). */
const BATCH = 16;
/** Explaining mismatches (a chunk that moved) is tried only for this many of them... */
const MAX_EXPLAINED = 16;
/** ...and within this much hashing, so a badly damaged recording cannot make verification slow. */
const EXPLAIN_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Recomputes a session's hash chain from the seed over the stored chunks and names what is wrong
 * with which seq: `missing` (a gap, or a tail the session's counters or final mark say existed),
 * `modified` (a chunk no longer matches its hash), `reordered` (a chunk that verifies only at
 * another seq), `after_final` (chunks after the verified final one).
 *
 * Each link is checked against the *stored* hash of the chunk before it, so one modified chunk is
 * reported once, not as a cascade.
 */
export async function verifyChain(
  sessionId: string,
  expected: { chunks: number; complete: boolean },
  source: ChunkSource,
): Promise<ChainVerdict> {
  const heads = await source.heads();
  const bySeq = new Map(heads.map((h) => [h.seq, h]));
  const seed = chainSeed(sessionId);
  const problems: RecordingProblem[] = [];
  const mismatched: number[] = [];
  const gaps: number[] = [];
  let nextSeq = 0;
  let finalSeq: number | null = null;

  for (let i = 0; i < heads.length; i += BATCH) {
    for (const chunk of await source.chunks(heads.slice(i, i + BATCH).map((h) => h.seq))) {
      if (chunk.seq > nextSeq) {
        problems.push(missing(nextSeq, chunk.seq - 1));
        for (let s = nextSeq; s < chunk.seq && gaps.length < MAX_EXPLAINED; s += 1) gaps.push(s);
      }
      nextSeq = chunk.seq + 1;
      const prev = chunk.seq === 0 ? seed : bySeq.get(chunk.seq - 1)?.chainHash;
      // After a gap the link cannot be checked; the gap itself is the problem.
      if (!prev) continue;
      if (!chainHash(prev, chunk.seq, chunk.final, chunk.data).equals(chunk.chainHash)) {
        mismatched.push(chunk.seq);
      } else if (finalSeq !== null) {
        problems.push({
          seq: chunk.seq,
          problem: 'after_final',
          detail: `chunk stored after the final chunk ${finalSeq}`,
        });
      } else if (chunk.final) {
        finalSeq = chunk.seq;
      }
    }
  }

  // A cut tail: the session counted more chunks, or was completed but holds no final chunk (unless
  // the last chunk fails its link: its final flag may be what changed, and that is reported).
  if (expected.chunks > nextSeq) {
    problems.push(missing(nextSeq, expected.chunks - 1));
  } else if (expected.complete && !heads.some((h) => h.final) && !mismatched.includes(nextSeq - 1)) {
    problems.push({
      seq: nextSeq,
      problem: 'missing',
      detail: 'the final chunk is missing (the recording was complete)',
    });
  }

  problems.push(...(await explainMismatches(mismatched, gaps, bySeq, seed, source)));
  problems.sort((a, b) => a.seq - b.seq);
  return { chunks: heads.length, problems, headHash: heads.at(-1)?.chainHash ?? null };
}

/**
 * A chunk that fails its link is `reordered` when it verifies at another seq after a chunk that
 * is stored elsewhere; a chunk that verifies in place after a moved predecessor is not a
 * problem of its own; anything else is `modified`.
 */
async function explainMismatches(
  mismatched: number[],
  gaps: number[],
  bySeq: Map<number, ChunkHead>,
  seed: Buffer,
  source: ChunkSource,
): Promise<RecordingProblem[]> {
  if (mismatched.length === 0) return [];
  const modified = (seq: number): RecordingProblem => ({
    seq,
    problem: 'modified',
    detail: `chunk ${seq} does not match its chain hash (its data or final flag changed, or its hash was rewritten)`,
  });
  if (mismatched.length > MAX_EXPLAINED) return mismatched.map(modified);

  const movedHashes = mismatched.map((seq) => bySeq.get(seq)!.chainHash);
  const candidates = [...new Set([...mismatched, ...gaps])];
  let budget = EXPLAIN_BUDGET_BYTES;
  const problems: RecordingProblem[] = [];
  for (const chunk of await source.chunks(mismatched)) {
    let found: number | null = null;
    const seqs = [...candidates].sort((a, b) => Math.abs(a - chunk.seq) - Math.abs(b - chunk.seq));
    search: for (const seq of seqs) {
      const inPlace = seq === chunk.seq;
      const stored = seq === 0 ? seed : bySeq.get(seq - 1)?.chainHash;
      // In place, the stored predecessor already failed: only a moved predecessor can explain it.
      const prevs = inPlace ? movedHashes : [...(stored ? [stored] : []), ...movedHashes];
      for (const prev of prevs) {
        if (budget <= 0) break search;
        budget -= chunk.data.length + 41;
        if (chainHash(prev, seq, chunk.final, chunk.data).equals(chunk.chainHash)) {
          found = seq;
          break search;
        }
      }
    }
    if (found === null) problems.push(modified(chunk.seq));
    else if (found !== chunk.seq) {
      problems.push({
        seq: chunk.seq,
        problem: 'reordered',
        detail: `chunk stored as seq ${chunk.seq} belongs at seq ${found}`,
      });
    }
  }
  return problems;
}

function missing(from: number, to: number): RecordingProblem {
  return {
    seq: from,
    problem: 'missing',
    detail: from === to ? `chunk ${from} is missing` : `chunks ${from} to ${to} are missing`,
  };
}
