import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import type { AuditEvent as Row, Prisma } from '../generated/prisma/client.js';
import type { AgentAuditRow, AuditEntry, AuditFilter, AuditRecord, SessionOwner } from './audit.types.js';

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
  };
}

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
        ruleId: entry.ruleId ?? null,
        policyVersion: entry.policyVersion ?? null,
        details: entry.details ?? {},
      },
    });
  }

  /** Stores agent-reported events; ids already stored are skipped (delivery is at-least-once). */
  async appendFromAgent(rows: AgentAuditRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.prisma.auditEvent.createMany({
      data: rows.map((row) => ({ ...row, details: row.details as Prisma.InputJsonObject })),
      skipDuplicates: true,
    });
    return result.count;
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
}
