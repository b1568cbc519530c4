import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { SessionClosedEvent, SessionFilter, SessionOpenedEvent, SessionRecord } from './session.types.js';

type Row = Prisma.SessionGetPayload<{ include: { connection: { select: { name: true } } } }>;

function toRecord(row: Row): SessionRecord {
  return {
    id: row.id,
    connectionId: row.connectionId,
    connectionName: row.connection.name,
    agentId: row.agentId,
    principalId: row.principalId,
    principalKind: row.principalKind,
    principalName: row.principalName,
    clientAddress: row.clientAddress,
    ingress: row.ingress,
    status: row.status,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    endReason: row.endReason,
    bytesFromClient: row.bytesFromClient,
    bytesFromTarget: row.bytesFromTarget,
    statementCount: row.statementCount,
    policyVersion: row.policyVersion,
  };
}

@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Idempotent: an agent resends `session opened` after a reconnect. Returns the agent the stored
   * session belongs to (another agent's, when the id was already taken by one).
   */
  async opened(event: SessionOpenedEvent): Promise<{ agentId: string }> {
    return this.prisma.session.upsert({
      where: { id: event.id },
      update: {},
      select: { agentId: true },
      create: {
        id: event.id,
        connectionId: event.connectionId,
        agentId: event.agentId,
        principalId: event.principalId,
        principalKind: event.principalKind,
        principalName: event.principalName,
        clientAddress: event.clientAddress,
        ingress: event.ingress,
        startedAt: event.startedAt,
        policyVersion: event.policyVersion,
      },
    });
  }

  /** Idempotent; only the agent that opened a session may close it. */
  async closed(event: SessionClosedEvent): Promise<boolean> {
    const result = await this.prisma.session.updateMany({
      where: { id: event.id, agentId: event.agentId },
      data: {
        status: 'CLOSED',
        endedAt: event.endedAt,
        endReason: event.endReason,
        bytesFromClient: event.bytesFromClient,
        bytesFromTarget: event.bytesFromTarget,
        statementCount: event.statementCount,
      },
    });
    return result.count === 1;
  }

  /** Sessions an agent reported open but can no longer be running (the agent restarted). */
  async closeActiveOfAgent(agentId: string, endedAt: Date, reason: string): Promise<number> {
    const result = await this.prisma.session.updateMany({
      where: { agentId, status: 'ACTIVE' },
      data: { status: 'CLOSED', endedAt, endReason: reason },
    });
    return result.count;
  }

  async findById(id: string): Promise<SessionRecord | null> {
    const row = await this.prisma.session.findUnique({
      where: { id },
      include: { connection: { select: { name: true } } },
    });
    return row ? toRecord(row) : null;
  }

  async list(filter: SessionFilter): Promise<SessionRecord[]> {
    const rows = await this.prisma.session.findMany({
      where: {
        ...(filter.connectionId ? { connectionId: filter.connectionId } : {}),
        ...(filter.principalId ? { principalId: filter.principalId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      include: { connection: { select: { name: true } } },
      orderBy: { startedAt: 'desc' },
      take: filter.limit,
    });
    return rows.map(toRecord);
  }

  /** The connection is served by the agent itself or by the agent's group (one query: asked per session). */
  async connectionBelongsToAgent(connectionId: string, agentId: string): Promise<boolean> {
    const servedBy = [{ agentId }, { agentGroup: { agents: { some: { id: agentId } } } }];
    return (await this.prisma.connection.count({ where: { id: connectionId, OR: servedBy } })) === 1;
  }
}
