import { Injectable } from '@nestjs/common';
import type { Actor } from '../platform/auth/actor.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { exportLine } from './audit-export.js';
import { AuditVerifier, type AuditVerification } from './audit-verifier.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import type { AuditExportFilter } from './audit.types.js';

/** Events verified per GraphQL call; a longer range answers `nextSeq` to continue from. */
export const MAX_VERIFY_ROWS = 100_000;
/** Events read per database query while exporting. */
const EXPORT_PAGE = 1000;
const SEQ = /^\d{1,19}$/;
const MAX_SEQ = 2n ** 63n - 1n;
const KIND_PREFIX = /^[a-z0-9_.]{1,64}$/;

/**
 * Verification and export of the audit log's hash chain, for auditors. Both are audited
 * themselves (`audit.verified`, `audit.exported`): who looked at the log, and what they took.
 */
@Injectable()
export class AuditIntegrityService {
  constructor(
    private readonly verifier: AuditVerifier,
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
  ) {}

  async verify(actor: Actor, fromSeq?: string | null, toSeq?: string | null): Promise<AuditVerification> {
    const range = {
      ...(fromSeq ? { fromSeq: seqParam('fromSeq', fromSeq) } : {}),
      ...(toSeq ? { toSeq: seqParam('toSeq', toSeq) } : {}),
    };
    const verification = await this.verifier.verify({ ...range, maxRows: MAX_VERIFY_ROWS });
    await this.audit.record({
      kind: 'audit.verified',
      ...auditActor(actor),
      decision: verification.ok ? 'ok' : 'tampered',
      details: {
        fromSeq: verification.fromSeq.toString(),
        toSeq: (verification.lastSeq ?? verification.toSeq).toString(),
        checked: verification.checked,
        problems: verification.problemCount,
        firstBadSeq: verification.firstBadSeq?.toString() ?? null,
      },
    });
    return verification;
  }

  /**
   * Validates an export request (the query string of `GET /audit/export`) and audits it. The
   * export ends at the head as it is now, so it is a consistent snapshot however long it streams.
   */
  async startExport(actor: Actor, query: Record<string, unknown>): Promise<AuditExportFilter> {
    const filter = exportFilter(query);
    const head = (await this.repository.headSeq()) ?? 0n;
    const snapshot = { ...filter, toSeq: filter.toSeq === undefined || filter.toSeq > head ? head : filter.toSeq };
    await this.audit.record({
      kind: 'audit.exported',
      ...auditActor(actor),
      details: {
        fromSeq: filter.fromSeq?.toString() ?? null,
        toSeq: snapshot.toSeq.toString(),
        from: filter.from?.toISOString() ?? null,
        to: filter.to?.toISOString() ?? null,
        kindPrefix: filter.kindPrefix ?? null,
      },
    });
    return snapshot;
  }

  /** The export's JSON lines, read page by page in seq order. */
  async *exportLines(filter: AuditExportFilter): AsyncIterable<string> {
    let after = (filter.fromSeq ?? 0n) - 1n;
    for (;;) {
      const page = await this.repository.page(after, filter, EXPORT_PAGE);
      if (page.length > 0) yield page.map(exportLine).join('');
      if (page.length < EXPORT_PAGE) return;
      after = page.at(-1)!.seq;
    }
  }
}

function exportFilter(query: Record<string, unknown>): AuditExportFilter {
  const known = new Set(['from', 'to', 'fromSeq', 'toSeq', 'kind']);
  for (const key of Object.keys(query)) {
    if (!known.has(key)) throw new InvalidArgumentError(`unknown parameter "${key.slice(0, 40)}"`);
  }
  const single = (key: string): string | undefined => {
    const value = query[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new InvalidArgumentError(`${key} must be given once`);
    return value;
  };
  const instant = (key: string): Date | undefined => {
    const value = single(key);
    if (value === undefined) return undefined;
    const date = new Date(value);
    if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(date.getTime())) {
      throw new InvalidArgumentError(`${key} must be an ISO 8601 instant`);
    }
    return date;
  };
  const fromSeqText = single('fromSeq');
  const toSeqText = single('toSeq');
  const kind = single('kind');
  if (kind !== undefined && !KIND_PREFIX.test(kind)) {
    throw new InvalidArgumentError('kind may contain only a-z, 0-9, "_" and "." (a prefix: "statement." for all)');
  }
  const filter: AuditExportFilter = {
    fromSeq: fromSeqText === undefined ? undefined : seqParam('fromSeq', fromSeqText),
    toSeq: toSeqText === undefined ? undefined : seqParam('toSeq', toSeqText),
    from: instant('from'),
    to: instant('to'),
    kindPrefix: kind,
  };
  if (filter.fromSeq !== undefined && filter.toSeq !== undefined && filter.toSeq < filter.fromSeq) {
    throw new InvalidArgumentError('toSeq must be at least fromSeq');
  }
  return filter;
}

function seqParam(name: string, value: string): bigint {
  if (!SEQ.test(value) || BigInt(value) > MAX_SEQ) {
    throw new InvalidArgumentError(`${name} must be a sequence number (decimal)`);
  }
  return BigInt(value);
}

function auditActor(actor: Actor) {
  return { actorId: actor.id, actorKind: actor.kind === 'admin-token' ? 'admin' : actor.kind } as const;
}
