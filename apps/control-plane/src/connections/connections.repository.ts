import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Connection as ConnectionRow } from '../generated/prisma/client.js';
import type { Connection, ConnectionServer, ConnectionSettings, NewConnection, TlsMode } from './connection.types.js';

function toConnection(row: ConnectionRow): Connection {
  const { tlsCaRef, ...settings } = (row.settings ?? {}) as ConnectionSettings & { tlsCaRef?: string };
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
    tlsCaRef: tlsCaRef ?? null,
    settings,
    recordingMode: row.recordingMode,
    createdAt: row.createdAt,
  };
}

export class DuplicateConnectionNameError extends Error {}

/** What deleting a connection ended: the rows revoked with it and its live sessions. */
export interface ConnectionTombstone {
  connection: Connection;
  accessRulesDeleted: number;
  grantsRevoked: number;
  credentialsRevoked: number;
  reviewsCancelled: number;
  activeSessions: Array<{ id: string; agentId: string }>;
}

@Injectable()
export class ConnectionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: NewConnection): Promise<Connection> {
    try {
      const { tlsCaRef, settings, ...fields } = input;
      return toConnection(
        await this.prisma.connection.create({
          data: { ...fields, settings: { ...settings, ...(tlsCaRef ? { tlsCaRef } : {}) } },
        }),
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
      where: { id, deletedAt: null },
      data: { agentId: server.agentId, agentGroupId: server.agentGroupId },
    });
    return result.count === 1 ? this.findById(id) : null;
  }

  async findById(id: string): Promise<Connection | null> {
    const row = await this.prisma.connection.findFirst({ where: { id, deletedAt: null } });
    return row ? toConnection(row) : null;
  }

  async findByName(name: string): Promise<Connection | null> {
    const row = await this.prisma.connection.findFirst({ where: { name, deletedAt: null } });
    return row ? toConnection(row) : null;
  }

  async list(): Promise<Connection[]> {
    return (await this.prisma.connection.findMany({ where: { deletedAt: null }, orderBy: { name: 'asc' } })).map(
      toConnection,
    );
  }

  async listForAgent(agentId: string): Promise<Connection[]> {
    return (
      await this.prisma.connection.findMany({ where: { agentId, deletedAt: null }, orderBy: { name: 'asc' } })
    ).map(toConnection);
  }

  /**
   * Deletes a connection as a tombstone, in one transaction: the row stays (sessions, recordings
   * and audit events name it) but frees its name ("<name>~<id>", which no live name can match),
   * leaves its agent or group (so no policy snapshot carries it and no agent may report a new
   * session on it), loses its access rules, and its grants, credentials and pending reviews end.
   * Null when there is no such live connection.
   */
  async tombstone(id: string, at: Date): Promise<ConnectionTombstone | null> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.connection.findFirst({ where: { id, deletedAt: null } });
      if (!row) return null;
      const claimed = await tx.connection.updateMany({
        where: { id, deletedAt: null },
        data: { deletedAt: at, name: `${row.name}~${row.id}`, agentId: null, agentGroupId: null },
      });
      if (claimed.count !== 1) return null;
      const accessRules = await tx.accessRule.deleteMany({ where: { connectionId: id } });
      const grants = await tx.grant.updateMany({
        where: { connectionId: id, revokedAt: null },
        data: { revokedAt: at },
      });
      const credentials = await tx.connectionCredential.updateMany({
        where: { connectionId: id, revokedAt: null },
        data: { revokedAt: at },
      });
      const reviews = await tx.review.updateMany({
        where: { connectionId: id, status: 'PENDING' },
        data: { status: 'CANCELLED', decidedAt: at },
      });
      const activeSessions = await tx.session.findMany({
        where: { connectionId: id, status: 'ACTIVE' },
        select: { id: true, agentId: true },
      });
      return {
        connection: toConnection(row),
        accessRulesDeleted: accessRules.count,
        grantsRevoked: grants.count,
        credentialsRevoked: credentials.count,
        reviewsCancelled: reviews.count,
        activeSessions,
      };
    });
  }
}
