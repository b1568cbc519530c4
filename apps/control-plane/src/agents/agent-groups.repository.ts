import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AgentGroup } from './agent.types.js';

export class DuplicateAgentGroupNameError extends Error {}

@Injectable()
export class AgentGroupsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(name: string): Promise<AgentGroup> {
    try {
      const row = await this.prisma.agentGroup.create({ data: { name } });
      return { id: row.id, name: row.name, createdAt: row.createdAt };
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DuplicateAgentGroupNameError(name);
      }
      throw error;
    }
  }

  async findById(id: string): Promise<AgentGroup | null> {
    const row = await this.prisma.agentGroup.findUnique({ where: { id } });
    return row ? { id: row.id, name: row.name, createdAt: row.createdAt } : null;
  }

  async list(): Promise<AgentGroup[]> {
    const rows = await this.prisma.agentGroup.findMany({ orderBy: { name: 'asc' } });
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.createdAt }));
  }
}
