import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Agent as AgentRow } from '../generated/prisma/client.js';
import type { Agent, AgentPresence } from './agent.types.js';
import { storedHostKeys } from './host-keys.js';

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    agentGroupId: row.agentGroupId,
    status: row.status,
    labels: (row.labels ?? {}) as Record<string, string>,
    version: row.version,
    hostname: row.hostname,
    enrolledAt: row.enrolledAt,
    connectedTo: row.connectedTo,
    connectedAt: row.connectedAt,
    lastSeenAt: row.lastSeenAt,
    policyVersion: row.policyVersion,
    hostKeys: storedHostKeys(row.hostKeys),
    createdAt: row.createdAt,
  };
}

export class DuplicateAgentNameError extends Error {}

@Injectable()
export class AgentsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates a PENDING agent together with its first enrollment token (by hash). */
  async createWithEnrollmentToken(input: {
    id: string;
    name: string;
    labels: Record<string, string>;
    agentGroupId: string | null;
    tokenId: string;
    tokenHash: Buffer<ArrayBuffer>;
    tokenExpiresAt: Date;
  }): Promise<Agent> {
    try {
      const row = await this.prisma.agent.create({
        data: {
          id: input.id,
          name: input.name,
          labels: input.labels,
          agentGroupId: input.agentGroupId,
          enrollmentTokens: {
            create: { id: input.tokenId, tokenHash: input.tokenHash, expiresAt: input.tokenExpiresAt },
          },
        },
      });
      return toAgent(row);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DuplicateAgentNameError(input.name);
      }
      throw error;
    }
  }

  async addEnrollmentToken(input: {
    agentId: string;
    tokenId: string;
    tokenHash: Buffer<ArrayBuffer>;
    expiresAt: Date;
  }): Promise<void> {
    await this.prisma.agentEnrollmentToken.create({
      data: { id: input.tokenId, agentId: input.agentId, tokenHash: input.tokenHash, expiresAt: input.expiresAt },
    });
  }

  async findEnrollmentToken(
    tokenId: string,
  ): Promise<{ agentId: string; tokenHash: Buffer<ArrayBuffer>; expiresAt: Date; usedAt: Date | null } | null> {
    const row = await this.prisma.agentEnrollmentToken.findUnique({ where: { id: tokenId } });
    return row
      ? { agentId: row.agentId, tokenHash: Buffer.from(row.tokenHash), expiresAt: row.expiresAt, usedAt: row.usedAt }
      : null;
  }

  /**
   * Consumes an enrollment token and installs the agent's credential hash in one transaction.
   * The conditional update makes a token single-use even under concurrent attempts: only one
   * caller sees `count === 1`. Returns null when the token was already used or has expired.
   */
  async consumeEnrollmentToken(input: {
    tokenId: string;
    agentId: string;
    credentialHash: Buffer<ArrayBuffer>;
    now: Date;
  }): Promise<Agent | null> {
    return this.prisma.$transaction(async (tx) => {
      const consumed = await tx.agentEnrollmentToken.updateMany({
        where: { id: input.tokenId, usedAt: null, expiresAt: { gt: input.now } },
        data: { usedAt: input.now },
      });
      if (consumed.count !== 1) return null;
      const updated = await tx.agent.updateMany({
        where: { id: input.agentId, status: { not: 'DISABLED' } },
        data: { credentialHash: input.credentialHash, enrolledAt: input.now },
      });
      if (updated.count !== 1) return null;
      await tx.agent.updateMany({ where: { id: input.agentId, status: 'PENDING' }, data: { status: 'OFFLINE' } });
      return toAgent(await tx.agent.findUniqueOrThrow({ where: { id: input.agentId } }));
    });
  }

  async findCredential(agentId: string): Promise<{ agent: Agent; credentialHash: Buffer | null } | null> {
    const row = await this.prisma.agent.findUnique({ where: { id: agentId } });
    if (!row) return null;
    return { agent: toAgent(row), credentialHash: row.credentialHash ? Buffer.from(row.credentialHash) : null };
  }

  async findById(id: string): Promise<Agent | null> {
    const row = await this.prisma.agent.findUnique({ where: { id } });
    return row ? toAgent(row) : null;
  }

  async list(filter: {
    status?: Agent['status'] | undefined;
    agentGroupId?: string | undefined;
    /** Only agents enforcing a policy version older than this one (or none reported yet). */
    policyBefore?: bigint | undefined;
  }): Promise<Agent[]> {
    const rows = await this.prisma.agent.findMany({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.agentGroupId ? { agentGroupId: filter.agentGroupId } : {}),
        ...(filter.policyBefore !== undefined
          ? { OR: [{ policyVersion: null }, { policyVersion: { lt: filter.policyBefore } }] }
          : {}),
      },
      orderBy: { name: 'asc' },
    });
    return rows.map(toAgent);
  }

  /**
   * The fleet at a glance, for metrics: agents per status, and among agents with a known policy
   * version, how many enforce an older one than `latest` and by how many versions at most.
   */
  async fleet(latest: bigint): Promise<{ byStatus: Record<string, number>; behind: number; maxLag: bigint }> {
    const [groups, behind, oldest] = await Promise.all([
      this.prisma.agent.groupBy({ by: ['status'], _count: { _all: true } }),
      this.prisma.agent.count({ where: { status: 'ONLINE', policyVersion: { lt: latest } } }),
      this.prisma.agent.aggregate({ where: { status: 'ONLINE' }, _min: { policyVersion: true } }),
    ]);
    const byStatus: Record<string, number> = {};
    for (const group of groups) byStatus[group.status] = group._count._all;
    const min = oldest._min.policyVersion;
    return { byStatus, behind, maxLag: min === null || min >= latest ? 0n : latest - min };
  }

  /** Ids of the members of a group that hold a Control stream (on any replica). */
  async onlineMemberIds(agentGroupId: string): Promise<string[]> {
    const rows = await this.prisma.agent.findMany({
      where: { agentGroupId, status: 'ONLINE' },
      select: { id: true },
      orderBy: { name: 'asc' },
    });
    return rows.map((r) => r.id);
  }

  async memberIds(agentGroupId: string): Promise<string[]> {
    const rows = await this.prisma.agent.findMany({ where: { agentGroupId }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  /** Moves an agent into a group (or out of any, with null). */
  async setGroup(agentId: string, agentGroupId: string | null): Promise<Agent | null> {
    const result = await this.prisma.agent.updateMany({ where: { id: agentId }, data: { agentGroupId } });
    return result.count === 1 ? this.findById(agentId) : null;
  }

  /** The agent applied policy `version` (a policy ack); ignored when another stream has taken over. */
  async policyApplied(agentId: string, streamId: string, version: bigint): Promise<void> {
    await this.prisma.agent.updateMany({ where: { id: agentId, streamId }, data: { policyVersion: version } });
  }

  /** Marks the agent online; returns the agent process instance that held it before, if any. */
  async markOnline(
    agentId: string,
    presence: AgentPresence,
    now: Date,
  ): Promise<{ ok: boolean; previousInstance: string | null }> {
    const previous = await this.prisma.agent.findUnique({ where: { id: agentId }, select: { instanceId: true } });
    const result = await this.prisma.agent.updateMany({
      where: { id: agentId, status: { not: 'DISABLED' } },
      data: {
        status: 'ONLINE',
        streamId: presence.streamId,
        connectedTo: presence.controlPlaneInstance,
        connectedAt: now,
        lastSeenAt: now,
        version: presence.version,
        hostname: presence.hostname,
        policyVersion: presence.policyVersion,
        instanceId: presence.instanceId,
        hostKeys: presence.hostKeys as unknown as Prisma.InputJsonValue,
      },
    });
    return { ok: result.count === 1, previousInstance: previous?.instanceId ?? null };
  }

  /** Records a heartbeat; ignored when another stream has since taken over this agent. */
  async touch(agentId: string, streamId: string, now: Date, policyVersion: bigint): Promise<void> {
    await this.prisma.agent.updateMany({
      where: { id: agentId, streamId, status: 'ONLINE' },
      data: { lastSeenAt: now, policyVersion },
    });
  }

  /** Marks the agent offline if `streamId` is still the stream that made it online. */
  async markOffline(agentId: string, streamId: string): Promise<boolean> {
    const result = await this.prisma.agent.updateMany({
      where: { id: agentId, streamId, status: 'ONLINE' },
      data: { status: 'OFFLINE', streamId: null, connectedTo: null },
    });
    return result.count === 1;
  }

  /** Shutdown: every stream this replica held goes offline in one statement. */
  async markStreamsOffline(streamIds: string[]): Promise<number> {
    if (streamIds.length === 0) return 0;
    const result = await this.prisma.agent.updateMany({
      where: { streamId: { in: streamIds }, status: 'ONLINE' },
      data: { status: 'OFFLINE', streamId: null, connectedTo: null },
    });
    return result.count;
  }

  /** Agents whose holder vanished without closing the stream (e.g. a crashed replica). */
  async markStaleOffline(seenBefore: Date): Promise<string[]> {
    const stale = await this.prisma.agent.findMany({
      where: { status: 'ONLINE', lastSeenAt: { lt: seenBefore } },
      select: { id: true },
    });
    if (stale.length === 0) return [];
    await this.prisma.agent.updateMany({
      where: { id: { in: stale.map((a) => a.id) }, status: 'ONLINE', lastSeenAt: { lt: seenBefore } },
      data: { status: 'OFFLINE', streamId: null, connectedTo: null },
    });
    return stale.map((a) => a.id);
  }

  async disable(agentId: string): Promise<Agent | null> {
    const result = await this.prisma.agent.updateMany({
      where: { id: agentId },
      data: { status: 'DISABLED', credentialHash: null, streamId: null, connectedTo: null },
    });
    if (result.count !== 1) return null;
    await this.prisma.agentEnrollmentToken.updateMany({
      where: { agentId, usedAt: null },
      data: { usedAt: new Date() },
    });
    return this.findById(agentId);
  }
}
