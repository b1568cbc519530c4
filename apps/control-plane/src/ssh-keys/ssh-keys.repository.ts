import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { SshKey } from './ssh-key.types.js';

const select = {
  id: true,
  userId: true,
  name: true,
  algorithm: true,
  fingerprint: true,
  bits: true,
  createdAt: true,
} as const;

export class DuplicateSshKeyError extends Error {}

@Injectable()
export class SshKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(userId: string): Promise<SshKey[]> {
    return this.prisma.sshPublicKey.findMany({ where: { userId }, select, orderBy: { createdAt: 'asc' } });
  }

  /**
   * Adds a key unless the user already holds `limit` keys, in one transaction (two concurrent adds
   * cannot both pass the count), and refuses a fingerprint registered by anyone.
   */
  async add(
    input: { userId: string; name: string; algorithm: string; fingerprint: string; bits: number; publicKey: Buffer },
    limit: number,
  ): Promise<SshKey | 'limit'> {
    try {
      return await this.prisma.$transaction(
        async (tx) => {
          if ((await tx.sshPublicKey.count({ where: { userId: input.userId } })) >= limit) return 'limit' as const;
          return tx.sshPublicKey.create({ data: { ...input, publicKey: new Uint8Array(input.publicKey) }, select });
        },
        { isolationLevel: 'Serializable' },
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new DuplicateSshKeyError('key already registered');
      throw error;
    }
  }

  get(id: string): Promise<SshKey | null> {
    return this.prisma.sshPublicKey.findUnique({ where: { id }, select });
  }

  async remove(id: string): Promise<SshKey | null> {
    const rows = await this.prisma.sshPublicKey.findMany({ where: { id }, select });
    if (rows.length === 0) return null;
    await this.prisma.sshPublicKey.deleteMany({ where: { id } });
    return rows[0]!;
  }
}
