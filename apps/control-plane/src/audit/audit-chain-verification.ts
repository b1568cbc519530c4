import { GENESIS, auditHash, type ChainedAuditRow } from './audit-chain.js';

/** The last two come from comparing the chain with signed checkpoints (audit-checkpoint.ts). */
export type AuditProblemKind = 'modified' | 'deleted' | 'reordered' | 'truncated' | 'rewritten';

export interface AuditProblem {
  seq: bigint;
  problem: AuditProblemKind;
  detail: string;
}

/** The event just before the verified range: the link its first event must continue. */
export interface ChainAnchor {
  seq: bigint;
  hash: Buffer | null;
}

/** Where verification reads the log from: the database, or an exported file. */
export interface AuditChainSource {
  /** The lowest seq holding a hash: events before it predate the chain (null: nothing chained). */
  chainStart(): Promise<bigint | null>;
  /** The last event before `seq`, or null when there is none. */
  anchorBefore(seq: bigint): Promise<ChainAnchor | null>;
  /** Events with `from <= seq <= to`, in seq order. */
  rows(from: bigint, to: bigint): AsyncIterable<ChainedAuditRow>;
  /** The seq of the event whose hash this is, if any (to tell a moved event from a missing one). */
  seqOfHash(hash: Buffer): Promise<bigint | null>;
}

export interface AuditChainVerdict {
  /** Events read (legacy ones included). */
  checked: number;
  /** Events older than the chain (no hash, before its first event): not verifiable. */
  legacy: number;
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  /** Hash of the last event checked: compare it with a copy kept elsewhere. */
  headHash: Buffer | null;
  /** The first `maxProblems` problems, by seq. */
  problems: AuditProblem[];
  problemCount: number;
  /** Set when `maxRows` stopped the walk before `to`: verify again from here. */
  nextSeq: bigint | null;
}

interface Previous {
  seq: bigint;
  hash: Buffer | null;
  /** Before the chain: the next chained event starts from GENESIS. */
  legacy: boolean;
}

/**
 * Recomputes the chain over `from..to` and names what is wrong with which seq:
 * - `modified`: an event no longer matches its hash (content changed), has lost its hash, or its
 *   hash was rewritten (the next event no longer links to it);
 * - `deleted`: seqs are missing (appends are contiguous), or the chain does not begin at GENESIS;
 * - `reordered`: an event links to an event stored at another seq (seqs were swapped).
 *
 * Each link is checked against the *stored* hash of the event before it, so one modified event is
 * reported once, not as a cascade. Deleting events at the very end cannot be seen from the log
 * alone: compare `lastSeq`/`headHash` with an exported copy or a head hash recorded elsewhere.
 */
export async function verifyAuditChain(
  source: AuditChainSource,
  range: { from: bigint; to: bigint; maxRows?: number; maxProblems?: number },
): Promise<AuditChainVerdict> {
  const maxProblems = range.maxProblems ?? 100;
  const chainStart = await source.chainStart();
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  const report = (problem: AuditProblem) => {
    problemCount += 1;
    problems.push(problem);
    if (problems.length > maxProblems) {
      problems.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      problems.length = maxProblems;
    }
  };
  const isLegacy = (seq: bigint) => chainStart === null || seq < chainStart;

  const anchor = await source.anchorBefore(range.from);
  let previous: Previous | null = anchor && { ...anchor, legacy: isLegacy(anchor.seq) };
  const moved = new Set<bigint>();
  const verdict = { checked: 0, legacy: 0, firstSeq: null as bigint | null, nextSeq: null as bigint | null };

  for await (const row of source.rows(range.from, range.to)) {
    if (range.maxRows !== undefined && verdict.checked >= range.maxRows) {
      verdict.nextSeq = row.seq;
      break;
    }
    verdict.checked += 1;
    verdict.firstSeq ??= row.seq;
    if (row.hash === null || row.prevHash === null) {
      const legacy = isLegacy(row.seq);
      if (legacy) verdict.legacy += 1;
      else report({ seq: row.seq, problem: 'modified', detail: 'the event has no hash (it was removed)' });
      previous = { seq: row.seq, hash: null, legacy };
      continue;
    }
    if (!auditHash(row.prevHash, row).equals(row.hash)) {
      report({ seq: row.seq, problem: 'modified', detail: 'the event does not match its hash (its content changed)' });
    }
    const link = await checkLink(previous, row.seq, row.prevHash, source, moved);
    if (link) report(link);
    previous = { seq: row.seq, hash: row.hash, legacy: false };
  }

  problems.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return {
    checked: verdict.checked,
    legacy: verdict.legacy,
    firstSeq: verdict.firstSeq,
    lastSeq: previous && verdict.checked > 0 ? previous.seq : null,
    headHash: verdict.checked > 0 ? (previous?.hash ?? null) : null,
    problems,
    problemCount,
    nextSeq: verdict.nextSeq,
  };
}

/** What is wrong with the link from `previous` to `row`, if anything. */
async function checkLink(
  previous: Previous | null,
  seq: bigint,
  prevHash: Buffer,
  source: AuditChainSource,
  moved: Set<bigint>,
): Promise<AuditProblem | null> {
  if (previous === null || previous.legacy) {
    if (prevHash.equals(GENESIS)) return null;
    return {
      seq: seq,
      problem: 'deleted',
      detail:
        'the chain does not begin at the genesis hash: earlier chained events were deleted (or lost their hashes)',
    };
  }
  // The event before lost its hash: that is its problem, already reported.
  if (previous.hash === null) return null;
  if (seq > previous.seq + 1n) {
    const first = previous.seq + 1n;
    const last = seq - 1n;
    return {
      seq: first,
      problem: 'deleted',
      detail: first === last ? `event ${first} is missing` : `events ${first} to ${last} are missing`,
    };
  }
  if (prevHash.equals(previous.hash)) return null;
  const linked = await source.seqOfHash(prevHash);
  if (linked !== null && linked !== previous.seq) {
    // The event after a moved one links to it wherever it now is: not a problem of its own.
    if (moved.has(linked)) return null;
    moved.add(seq);
    return { seq: seq, problem: 'reordered', detail: `the event belongs after seq ${linked}` };
  }
  return {
    seq: previous.seq,
    problem: 'modified',
    detail: `the event's hash was rewritten: seq ${seq} links to a different hash (or events between them were deleted and the rest renumbered)`,
  };
}
