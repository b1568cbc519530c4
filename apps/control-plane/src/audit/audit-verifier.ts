import { Injectable } from '@nestjs/common';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import type { ChainedAuditRow } from './audit-chain.js';
import { verifyAuditChain, type AuditChainSource, type AuditProblem } from './audit-chain-verification.js';
import { AuditRepository } from './audit.repository.js';

/** Events read from the database per query while walking the chain. */
const PAGE = 1000;

export interface AuditVerification {
  ok: boolean;
  /** The range asked for (defaults: the whole log as it stood when verification began). */
  fromSeq: bigint;
  toSeq: bigint;
  checked: number;
  legacy: number;
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  headHash: string | null;
  firstBadSeq: bigint | null;
  problems: AuditProblem[];
  problemCount: number;
  /** Set when `maxRows` cut the walk short: verify again from this seq. */
  nextSeq: bigint | null;
}

/** Recomputes the audit log's hash chain from the database: the GraphQL API and the CLI use this. */
@Injectable()
export class AuditVerifier {
  constructor(private readonly repository: AuditRepository) {}

  async verify(range: { fromSeq?: bigint; toSeq?: bigint; maxRows?: number } = {}): Promise<AuditVerification> {
    const fromSeq = range.fromSeq ?? 0n;
    const toSeq = range.toSeq ?? (await this.repository.headSeq()) ?? 0n;
    if (fromSeq < 0n || toSeq < fromSeq)
      throw new InvalidArgumentError('fromSeq must be 0 or more, and toSeq at least fromSeq');
    const verdict = await verifyAuditChain(this.source(), {
      from: fromSeq,
      to: toSeq,
      ...(range.maxRows === undefined ? {} : { maxRows: range.maxRows }),
    });
    return {
      ok: verdict.problemCount === 0,
      fromSeq,
      toSeq,
      checked: verdict.checked,
      legacy: verdict.legacy,
      firstSeq: verdict.firstSeq,
      lastSeq: verdict.lastSeq,
      headHash: verdict.headHash?.toString('hex') ?? null,
      firstBadSeq: verdict.problems[0]?.seq ?? null,
      problems: verdict.problems,
      problemCount: verdict.problemCount,
      nextSeq: verdict.nextSeq,
    };
  }

  private source(): AuditChainSource {
    const repository = this.repository;
    return {
      chainStart: () => repository.chainStart(),
      anchorBefore: (seq) => repository.anchorBefore(seq),
      seqOfHash: (hash) => repository.seqOfHash(hash),
      async *rows(from: bigint, to: bigint): AsyncIterable<ChainedAuditRow> {
        let after = from - 1n;
        for (;;) {
          const page = await repository.page(after, { toSeq: to }, PAGE);
          yield* page;
          if (page.length < PAGE) return;
          after = page.at(-1)!.seq;
        }
      },
    };
  }
}
