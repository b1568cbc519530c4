import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { Agent as AgentRow, AgentGroupJoinToken as JoinTokenRow } from '../generated/prisma/client.js';
import type { Agent, AgentGroupJoinToken, JoinRefusal } from './agent.types.js';
import { toAgent } from './agents.repository.js';

function toJoinToken(row: JoinTokenRow & { _count: { agents: number } }): AgentGroupJoinToken {
  return {
    id: row.id,
    agentGroupId: row.agentGroupId,
    expiresAt: row.expiresAt,
    maxAgents: row.maxAgents,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
    agentCount: row._count.agents,
  };
}

/** Agent-group join tokens: stored by hash, used by many replicas, each enrolling as its own agent. */
@Injectable()
export class AgentGroupJoinTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: {
    id: string;
    agentGroupId: string;
    tokenHash: Buffer<ArrayBuffer>;
    expiresAt: Date;
    maxAgents: number | null;
  }): Promise<AgentGroupJoinToken> {
    const row = await this.prisma.agentGroupJoinToken.create({
      data: input,
      include: { _count: { select: { agents: true } } },
    });
    return toJoinToken(row);
  }

  async find(id: string): Promise<{ agentGroupId: string; groupName: string; tokenHash: Buffer<ArrayBuffer> } | null> {
    const row = await this.prisma.agentGroupJoinToken.findUnique({ where: { id }, include: { agentGroup: true } });
    return row
      ? { agentGroupId: row.agentGroupId, groupName: row.agentGroup.name, tokenHash: Buffer.from(row.tokenHash) }
      : null;
  }

  async list(agentGroupId: string): Promise<AgentGroupJoinToken[]> {
    const rows = await this.prisma.agentGroupJoinToken.findMany({
      where: { agentGroupId },
      include: { _count: { select: { agents: true } } },
      orderBy: { createdAt: 'desc' },
    });
    return rows.map(toJoinToken);
  }

  /** Revokes a live token; false when there is none with that id, or it was revoked already. */
  async revoke(id: string, now: Date): Promise<{ agentGroupId: string } | null> {
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.agentGroupJoinToken.updateMany({
        where: { id, revokedAt: null },
        data: { revokedAt: now },
      });
      if (updated.count !== 1) return null;
      const row = await tx.agentGroupJoinToken.findUniqueOrThrow({ where: { id }, select: { agentGroupId: true } });
      return row;
    });
  }

  /**
   * Enrols one replica with a join token, in one transaction that holds the token's row lock so
   * the cap holds under concurrent joins: a new agent `name` in the group, or — the same replica
   * again after losing its volume — a new credential for the group's existing agent of that name.
   * A name held by an agent outside the group, by one that did not join with a join token (an
   * admin's agent), or by a disabled one, is refused.
   */
  async join(input: {
    tokenId: string;
    agentGroupId: string;
    name: string;
    credentialHash: Buffer<ArrayBuffer>;
    now: Date;
  }): Promise<{ agent: Agent; rejoined: boolean } | { refused: JoinRefusal }> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ max_agents: number | null }[]>`
        SELECT max_agents FROM agent_group_join_tokens
        WHERE id = ${input.tokenId}::uuid AND revoked_at IS NULL AND expires_at > ${input.now}
        FOR UPDATE`;
      const token = locked[0];
      if (!token) return { refused: 'token revoked or expired' as const };

      const existing: AgentRow | null = await tx.agent.findUnique({ where: { name: input.name } });
      if (existing) {
        if (existing.agentGroupId !== input.agentGroupId) return { refused: 'name taken outside the group' as const };
        // Only a replica that itself joined may re-join under its name: an agent an admin created
        // (its own one-time token) is never taken over by a join token's holder.
        if (existing.joinTokenId === null) return { refused: 'name held by an agent that did not join' as const };
        if (existing.status === 'DISABLED') return { refused: 'agent disabled' as const };
        const row = await tx.agent.update({
          where: { id: existing.id },
          data: {
            credentialHash: input.credentialHash,
            enrolledAt: input.now,
            ...(existing.status === 'PENDING' ? { status: 'OFFLINE' as const } : {}),
          },
        });
        return { agent: toAgent(row), rejoined: true };
      }
      if (token.max_agents !== null) {
        const joined = await tx.agent.count({ where: { joinTokenId: input.tokenId } });
        if (joined >= token.max_agents) return { refused: 'token used up' as const };
      }
      const row = await tx.agent.create({
        data: {
          name: input.name,
          agentGroupId: input.agentGroupId,
          joinTokenId: input.tokenId,
          status: 'OFFLINE',
          credentialHash: input.credentialHash,
          enrolledAt: input.now,
        },
      });
      return { agent: toAgent(row), rejoined: false };
    });
  }
}
