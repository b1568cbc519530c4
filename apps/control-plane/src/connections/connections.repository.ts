import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Connection as ConnectionRow } from '../generated/prisma/client.js';
import type { Connection, ConnectionServer, NewConnection, TlsMode } from './connection.types.js';

function toConnection(row: ConnectionRow): Connection {
  const settings = (row.settings ?? {}) as { tlsCaRef?: string };
  return {
    id: row.id,
    name: row.name,
    protocol: row.protocol,
    agentId: row.agentId,
    agentGroupId: row.agentGroupId,
    targetHost: row.targetHost,
    targetPort: row.targetPort,
    targetDatabase: row.targetDatabase,
    targetUser: row.targetUser,
    secretRef: row.secretRef,
    tlsMode: row.tlsMode as TlsMode,
    tlsCaRef: settings.tlsCaRef ?? null,
    recordingMode: row.recordingMode,
    createdAt: row.createdAt,
  };
}

export class DuplicateConnectionNameError extends Error {}

@Injectable()
export class ConnectionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: NewConnection): Promise<Connection> {
    try {
      const { tlsCaRef, ...fields } = input;
      return toConnection(
        await this.prisma.connection.create({ data: { ...fields, settings: tlsCaRef ? { tlsCaRef } : {} } }),
      );
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DuplicateConnectionNameError(input.name);
      }
      throw error;
    }
  }

  /** Changes who serves the connection. */
  async setServer(id: string, server: ConnectionServer): Promise<Connection | null> {
    const result = await this.prisma.connection.updateMany({
      where: { id },
      data: { agentId: server.agentId, agentGroupId: server.agentGroupId },
    });
    return result.count === 1 ? this.findById(id) : null;
  }

  async findById(id: string): Promise<Connection | null> {
    const row = await this.prisma.connection.findUnique({ where: { id } });
    return row ? toConnection(row) : null;
  }

  async findByName(name: string): Promise<Connection | null> {
    const row = await this.prisma.connection.findUnique({ where: { name } });
    return row ? toConnection(row) : null;
  }

  async list(): Promise<Connection[]> {
    return (await this.prisma.connection.findMany({ orderBy: { name: 'asc' } })).map(toConnection);
  }

  async listForAgent(agentId: string): Promise<Connection[]> {
    return (await this.prisma.connection.findMany({ where: { agentId }, orderBy: { name: 'asc' } })).map(toConnection);
  }
}
