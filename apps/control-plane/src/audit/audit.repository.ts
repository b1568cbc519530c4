import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { AuditEvent as Row, Prisma } from '../generated/prisma/client.js';
import { GENESIS, auditHash, normalizeContent, type AuditContent } from './audit-chain.js';
import type { ChainAnchor } from './audit-chain-verification.js';
import type { AuditExportFilter, AuditFilter, AuditRecord, SessionOwner } from './audit.types.js';

/**
 * Serialises appends to the chain across every control-plane replica (pg_advisory_xact_lock:
 * released at commit or rollback). Any constant works as long as nothing else uses it; this one
 * spells "postern:audit" loosely and differs from the migration lock (72707369).
 */
const CHAIN_LOCK_KEY = 0x706f7374_61756474n;
/** Waiting for the lock counts toward the transaction's timeout; appends hold it for milliseconds. */
const APPEND_TRANSACTION = { maxWait: 10_000, timeout: 30_000 } as const;

function toRecord(row: Row): AuditRecord {
  return {
    seq: row.seq,
    id: row.id,
    at: row.at,
    kind: row.kind,
    actorId: row.actorId,
    actorKind: row.actorKind,
    decision: row.decision,
    agentId: row.agentId,
    connectionId: row.connectionId,
    sessionId: row.sessionId,
    ruleId: row.ruleId,
    policyVersion: row.policyVersion,
    details: (row.details ?? {}) as Record<string, unknown>,
    prevHash: row.prevHash ? Buffer.from(row.prevHash) : null,
    hash: row.hash ? Buffer.from(row.hash) : null,
  };
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends events to the hash chain, in the given order, in one transaction under the chain lock:
   * the last hash and seq are read after the lock is held, so concurrent writers (other replicas,
   * agents' batches) each continue the chain where the previous one committed it. Seqs are
   * assigned here (last + 1, ...) so that a gap always means a deletion. With `skipExisting`, events
   * whose id is already stored are left out before hashing (agents deliver at least once), so a
   * duplicate never takes a place in the chain. Returns the number of events stored.
   */
  async appendChained(events: AuditContent[], options: { skipExisting: boolean }): Promise<number> {
    const byId = new Map<string, AuditContent>();
    for (const event of events.map(normalizeContent)) if (!byId.has(event.id)) byId.set(event.id, event);
    const unique = [...byId.values()];
    if (unique.length === 0) return 0;
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`;
      let fresh = unique;
      if (options.skipExisting) {
        const stored = await tx.auditEvent.findMany({
          where: { id: { in: unique.map((e) => e.id) } },
          select: { id: true },
        });
        const known = new Set(stored.map((s) => s.id));
        fresh = unique.filter((e) => !known.has(e.id));
        if (fresh.length === 0) return 0;
      }
      // Read committed: this statement runs after the lock was granted, so it sees every append
      // committed before. The last hashed event, not the last event: rows older than the chain
      // have none, and the chain then starts from GENESIS.
      const [head] = await tx.$queryRaw<Array<{ seq: bigint | number | null; hash: Uint8Array | null }>>`
        SELECT (SELECT max(seq) FROM audit_events) AS seq,
               (SELECT hash FROM audit_events WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1) AS hash`;
      let seq = BigInt(head?.seq ?? 0);
      let prevHash: Buffer = head?.hash ? Buffer.from(head.hash) : GENESIS;
      const data: Prisma.AuditEventCreateManyInput[] = fresh.map((event) => {
        const hash = auditHash(prevHash, event);
        seq += 1n;
        const row = {
          ...event,
          seq,
          details: event.details as Prisma.InputJsonObject,
          prevHash: new Uint8Array(prevHash),
          hash: new Uint8Array(hash),
        };
        prevHash = hash;
        return row;
      });
      const { count } = await tx.auditEvent.createMany({ data });
      return count;
    }, APPEND_TRANSACTION);
  }

  async sessions(ids: string[]): Promise<SessionOwner[]> {
    if (ids.length === 0) return [];
    return this.prisma.session.findMany({
      where: { id: { in: ids } },
      select: { id: true, agentId: true, connectionId: true, principalId: true, principalKind: true },
    });
  }

  async list(filter: AuditFilter): Promise<AuditRecord[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        ...(filter.sessionId ? { sessionId: filter.sessionId } : {}),
        ...(filter.connectionId ? { connectionId: filter.connectionId } : {}),
        ...(filter.agentId ? { agentId: filter.agentId } : {}),
        ...(filter.actorId ? { actorId: filter.actorId } : {}),
        ...(filter.decision ? { decision: filter.decision } : {}),
        ...(filter.ruleId ? { ruleId: filter.ruleId } : {}),
        ...(filter.kindPrefix ? { kind: { startsWith: filter.kindPrefix } } : {}),
        ...(filter.from || filter.to
          ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
          : {}),
        ...(filter.beforeSeq !== undefined ? { seq: { lt: filter.beforeSeq } } : {}),
      },
      orderBy: { seq: 'desc' },
      take: filter.limit,
    });
    return rows.map(toRecord);
  }

  // ---------- reading the chain (verification and export) ----------

  /** The highest seq stored (null: the log is empty). */
  async headSeq(): Promise<bigint | null> {
    const last = await this.prisma.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } });
    return last?.seq ?? null;
  }

  /** The last event and its hash (null: the log is empty, or its last event predates the chain). */
  async chainHead(): Promise<{ seq: bigint; hash: Buffer } | null> {
    const last = await this.prisma.auditEvent.findFirst({
      orderBy: { seq: 'desc' },
      select: { seq: true, hash: true },
    });
    return last?.hash ? { seq: last.seq, hash: Buffer.from(last.hash) } : null;
  }

  /** The stored hash of the event at `seq` (null: no such event, or no hash). */
  async hashAt(seq: bigint): Promise<Buffer | null> {
    const row = await this.prisma.auditEvent.findUnique({ where: { seq }, select: { hash: true } });
    return row?.hash ? Buffer.from(row.hash) : null;
  }

  /** The lowest seq holding a hash: the first event of the chain. */
  async chainStart(): Promise<bigint | null> {
    const first = await this.prisma.auditEvent.findFirst({
      where: { hash: { not: null } },
      orderBy: { seq: 'asc' },
      select: { seq: true },
    });
    return first?.seq ?? null;
  }

  async anchorBefore(seq: bigint): Promise<ChainAnchor | null> {
    const row = await this.prisma.auditEvent.findFirst({
      where: { seq: { lt: seq } },
      orderBy: { seq: 'desc' },
      select: { seq: true, hash: true },
    });
    return row ? { seq: row.seq, hash: row.hash ? Buffer.from(row.hash) : null } : null;
  }

  async seqOfHash(hash: Buffer): Promise<bigint | null> {
    const row = await this.prisma.auditEvent.findFirst({
      where: { hash: new Uint8Array(hash) },
      select: { seq: true },
    });
    return row?.seq ?? null;
  }

  /** Up to `limit` events after `afterSeq`, in seq order, matching the export filter. */
  async page(afterSeq: bigint, filter: AuditExportFilter, limit: number): Promise<AuditRecord[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        seq: { gt: afterSeq, ...(filter.toSeq !== undefined ? { lte: filter.toSeq } : {}) },
        ...(filter.kindPrefix ? { kind: { startsWith: filter.kindPrefix } } : {}),
        ...(filter.from || filter.to
          ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
          : {}),
      },
      orderBy: { seq: 'asc' },
      take: limit,
    });
    return rows.map(toRecord);
  }
}
