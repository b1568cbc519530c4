import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/prisma/prisma.service.js';

@Injectable()
export class PolicyRepository {
  constructor(private readonly prisma: PrismaService) {}

  async latestVersion(): Promise<bigint> {
    const row = await this.prisma.policyVersion.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
    return row?.version ?? 0n;
  }
}
