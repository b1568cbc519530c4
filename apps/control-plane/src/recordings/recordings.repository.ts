import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { decodeStoredChunk } from './chunk-encoding.js';
import type {
  ChunkHead,
  IncomingChunk,
  IngestContext,
  InsertOutcome,
  PurgeResult,
  RecordingSession,
  StoredChunk,
} from './recording.types.js';

const sessionColumns = {
  id: true,
  agentId: true,
  connectionId: true,
  principalId: true,
  endedAt: true,
  recordingChunks: true,
  recordingBytes: true,
  recordingCompletedAt: true,
  recordingTruncated: true,
  recordingPurgedAt: true,
} as const;

const headColumns = { seq: true, chainHash: true, final: true } as const;

function toHead(row: { seq: bigint; chainHash: Uint8Array; final: boolean }): ChunkHead {
  return { seq: Number(row.seq), chainHash: Buffer.from(row.chainHash), final: row.final };
}

@Injectable()
export class RecordingsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findSession(id: string): Promise<RecordingSession | null> {
    const row = await this.prisma.session.findUnique({ where: { id }, select: sessionColumns });
    if (!row) return null;
    return {
      id: row.id,
      agentId: row.agentId,
      connectionId: row.connectionId,
      principalId: row.principalId,
      endedAt: row.endedAt,
      chunks: row.recordingChunks,
      bytes: row.recordingBytes,
      completedAt: row.recordingCompletedAt,
      truncated: row.recordingTruncated,
      purgedAt: row.recordingPurgedAt,
    };
  }

  /** The session, and the chunks stored at `seq` and `seq - 1`, in one query. */
  async ingestContext(sessionId: string, seq: number): Promise<IngestContext | null> {
    const row = await this.prisma.session.findUnique({
      where: { id: sessionId },
      select: {
        id: true,
        agentId: true,
        connectionId: true,
        recordingCompletedAt: true,
        recordingPurgedAt: true,
        chunks: { where: { seq: { in: [BigInt(seq), BigInt(seq - 1)] } }, select: headColumns },
      },
    });
    if (!row) return null;
    const heads = row.chunks.map(toHead);
    return {
      session: {
        id: row.id,
        agentId: row.agentId,
        connectionId: row.connectionId,
        completedAt: row.recordingCompletedAt,
        purgedAt: row.recordingPurgedAt,
      },
      existing: heads.find((h) => h.seq === seq) ?? null,
      previous: heads.find((h) => h.seq === seq - 1) ?? null,
    };
  }

  /** One more than the highest stored seq (0 when none is stored). */
  async nextSeq(sessionId: string): Promise<number> {
    const last = await this.prisma.recordingChunk.findFirst({
      where: { sessionId },
      orderBy: { seq: 'desc' },
      select: { seq: true },
    });
    return last ? Number(last.seq) + 1 : 0;
  }

  /**
   * Inserts the chunk (ON CONFLICT DO NOTHING on the primary key) and counts it on its session,
   * in one statement (one round trip, its own transaction): an acknowledgement sent after this
   * resolves is for a committed chunk. The session row is locked first (FOR UPDATE, only while
   * not purged), so retention marking it purged either committed before — nothing is inserted —
   * or waits for this commit and then deletes this chunk too.
   */
  async insert(chunk: IncomingChunk, at: Date): Promise<InsertOutcome> {
    const final = chunk.final;
    const [row] = await this.prisma.$queryRaw<Array<{ locked: number; inserted: number }>>`
      WITH s AS (
        SELECT id FROM sessions
         WHERE id = ${chunk.sessionId}::uuid AND recording_purged_at IS NULL
           FOR UPDATE
      ), ins AS (
        INSERT INTO recording_chunks (session_id, seq, data, encoding, plain_bytes, chain_hash, final, received_at)
        SELECT s.id, ${BigInt(chunk.seq)}, ${new Uint8Array(chunk.encoded)}, ${chunk.encoding}::"RecordingEncoding",
               ${chunk.data.length}::int, ${new Uint8Array(chunk.chainHash)}, ${final}, ${at}::timestamptz
          FROM s
        ON CONFLICT (session_id, seq) DO NOTHING
        RETURNING 1
      ), counted AS (
        UPDATE sessions
           SET recording_chunks = recording_chunks + 1,
               recording_bytes = recording_bytes + ${BigInt(chunk.data.length)},
               recording_completed_at = CASE WHEN ${final} THEN ${at}::timestamptz ELSE recording_completed_at END,
               recording_truncated = CASE WHEN ${final} THEN ${chunk.truncated} ELSE recording_truncated END
         WHERE id = ${chunk.sessionId}::uuid AND EXISTS (SELECT 1 FROM ins)
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM s)::int AS locked, (SELECT count(*) FROM ins)::int AS inserted`;
    if (row !== undefined && row.inserted === 1) return { outcome: 'inserted' };
    if (row === undefined || row.locked === 0) return { outcome: 'purged' };
    const existing = await this.prisma.recordingChunk.findUnique({
      where: { sessionId_seq: { sessionId: chunk.sessionId, seq: BigInt(chunk.seq) } },
      select: { chainHash: true },
    });
    return existing ? { outcome: 'exists', chainHash: Buffer.from(existing.chainHash) } : { outcome: 'purged' };
  }

  async heads(sessionId: string): Promise<ChunkHead[]> {
    const rows = await this.prisma.recordingChunk.findMany({
      where: { sessionId },
      orderBy: { seq: 'asc' },
      select: headColumns,
    });
    return rows.map(toHead);
  }

  /** The chunks with their JSON Lines (see decodeStoredChunk for one that no longer decodes). */
  async chunks(sessionId: string, seqs: number[]): Promise<StoredChunk[]> {
    const rows = await this.prisma.recordingChunk.findMany({
      where: { sessionId, seq: { in: seqs.map((s) => BigInt(s)) } },
      orderBy: { seq: 'asc' },
      select: { ...headColumns, data: true, encoding: true },
    });
    return Promise.all(
      rows.map(async (row) => ({ ...toHead(row), data: await decodeStoredChunk(Buffer.from(row.data), row.encoding) })),
    );
  }

  /** Seqs and sizes of up to `limit` chunks after `afterSeq`, in order (to fill a page by size). */
  async sizesAfter(sessionId: string, afterSeq: number, limit: number): Promise<Array<{ seq: number; size: number }>> {
    const rows = await this.prisma.$queryRaw<Array<{ seq: bigint | number; size: number }>>`
      SELECT seq, plain_bytes AS size FROM recording_chunks
       WHERE session_id = ${sessionId}::uuid AND seq > ${afterSeq}
       ORDER BY seq LIMIT ${limit}`;
    return rows.map((row) => ({ seq: Number(row.seq), size: Number(row.size) }));
  }

  /**
   * Deletes the chunks of up to `batch` sessions that ended before `cutoff` and marks them
   * purged, in one transaction (the mark blocks a concurrent insert; see insert()).
   */
  async purgeEndedBefore(cutoff: Date, now: Date, batch: number): Promise<PurgeResult> {
    return this.prisma.$transaction(async (tx) => {
      const sessions = await tx.session.findMany({
        where: { endedAt: { lt: cutoff }, recordingPurgedAt: null },
        orderBy: { endedAt: 'asc' },
        select: { id: true, recordingBytes: true },
        take: batch,
      });
      if (sessions.length === 0) return { sessions: 0, chunks: 0, bytes: 0n };
      const ids = sessions.map((s) => s.id);
      const marked = await tx.session.updateMany({
        where: { id: { in: ids }, recordingPurgedAt: null },
        data: { recordingPurgedAt: now },
      });
      const deleted = await tx.recordingChunk.deleteMany({ where: { sessionId: { in: ids } } });
      const bytes = sessions.reduce((sum, s) => sum + s.recordingBytes, 0n);
      return { sessions: marked.count, chunks: deleted.count, bytes };
    });
  }

  /**
   * The principal ids a caller's sessions carry: their Postern id (connection credentials) and
   * `oidc:<subject>` (OIDC access tokens presented to an agent).
   */
  async principalIdsOf(actor: { id: string; kind: 'admin-token' | 'user' | 'service' }): Promise<string[]> {
    const where = { where: { id: actor.id }, select: { subject: true } };
    const row =
      actor.kind === 'user'
        ? await this.prisma.user.findUnique(where)
        : actor.kind === 'service'
          ? await this.prisma.serviceIdentity.findUnique(where)
          : null;
    return row ? [actor.id, `oidc:${row.subject}`] : [actor.id];
  }
}
