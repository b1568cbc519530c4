import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import type { AuditEntry } from './audit.types.js';

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async append(entry: AuditEntry, at: Date): Promise<void> {
    await this.prisma.auditEvent.create({
      data: {
        id: randomUUID(),
        at,
        kind: entry.kind,
        actorId: entry.actorId ?? null,
        actorKind: entry.actorKind ?? null,
        decision: entry.decision ?? null,
        agentId: entry.agentId ?? null,
        connectionId: entry.connectionId ?? null,
        sessionId: entry.sessionId ?? null,
        details: entry.details ?? {},
      },
    });
  }

  async list(filter: {
    kind?: string | undefined;
    agentId?: string | undefined;
    limit: number;
  }): Promise<Array<AuditEntry & { id: string; at: Date }>> {
    const rows = await this.prisma.auditEvent.findMany({
      where: { ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.agentId ? { agentId: filter.agentId } : {}) },
      orderBy: { seq: 'desc' },
      take: filter.limit,
    });
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      kind: row.kind,
      actorId: row.actorId,
      actorKind: (row.actorKind ?? undefined) as AuditEntry['actorKind'],
      decision: row.decision,
      agentId: row.agentId,
      connectionId: row.connectionId,
      sessionId: row.sessionId,
      details: row.details as AuditEntry['details'],
    }));
  }
}
