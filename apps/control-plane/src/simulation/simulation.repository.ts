import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { decodeStoredChunk } from '../recordings/chunk-encoding.js';
import type { SimulatedSession } from './simulation.types.js';

/** Recorded sessions and their chunks, read for policy simulation. */
@Injectable()
export class SimulationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * PostgreSQL sessions that overlap `from..to` (started before `to`, not ended before `from`),
   * oldest first, at most `limit`.
   */
  async sessionsInWindow(from: Date, to: Date, connectionIds: string[], limit: number): Promise<SimulatedSession[]> {
    const rows = await this.prisma.session.findMany({
      where: {
        startedAt: { lt: to },
        OR: [{ endedAt: null }, { endedAt: { gte: from } }],
        connection: { protocol: 'POSTGRES' },
        ...(connectionIds.length > 0 ? { connectionId: { in: connectionIds } } : {}),
      },
      orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
      take: limit,
      select: {
        id: true,
        connectionId: true,
        principalId: true,
        principalName: true,
        startedAt: true,
        recordingPurgedAt: true,
      },
    });
    return rows.map((row) => ({
      id: row.id,
      connectionId: row.connectionId,
      principalId: row.principalId,
      principalName: row.principalName,
      startedAt: row.startedAt,
      purged: row.recordingPurgedAt !== null,
    }));
  }

  /** Up to `limit` chunks of a recording after `afterSeq`, in order, as JSON Lines (decoded). */
  async chunksAfter(sessionId: string, afterSeq: number, limit: number): Promise<Array<{ seq: number; data: Buffer }>> {
    const rows = await this.prisma.recordingChunk.findMany({
      where: { sessionId, seq: { gt: BigInt(afterSeq) } },
      orderBy: { seq: 'asc' },
      take: limit,
      select: { seq: true, data: true, encoding: true },
    });
    return Promise.all(
      rows.map(async (row) => ({
        seq: Number(row.seq),
        data: await decodeStoredChunk(Buffer.from(row.data), row.encoding),
      })),
    );
  }
}
