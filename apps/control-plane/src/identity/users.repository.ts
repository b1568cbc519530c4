import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import type { User } from './user.types.js';

const include = { memberships: { include: { group: true } } } as const;
type Row = Prisma.UserGetPayload<{ include: typeof include }>;

function toUser(row: Row): User {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    displayName: row.displayName,
    groups: row.memberships.map((m) => m.group.name).sort(),
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
  };
}

export class DuplicateUserError extends Error {}

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: {
    issuer: string;
    subject: string;
    email: string | null;
    displayName: string | null;
    groups: string[];
  }): Promise<User> {
    try {
      const row = await this.prisma.user.create({
        data: {
          issuer: input.issuer,
          subject: input.subject,
          email: input.email,
          displayName: input.displayName,
          memberships: {
            create: input.groups.map((name) => ({
              source: 'MANUAL' as const,
              group: { connectOrCreate: { where: { name }, create: { name } } },
            })),
          },
        },
        include,
      });
      return toUser(row);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
        throw new DuplicateUserError();
      throw error;
    }
  }

  async findById(id: string): Promise<User | null> {
    const row = await this.prisma.user.findUnique({ where: { id }, include });
    return row ? toUser(row) : null;
  }

  async list(): Promise<User[]> {
    return (await this.prisma.user.findMany({ include, orderBy: { createdAt: 'asc' } })).map(toUser);
  }

  async setDisabled(id: string, disabledAt: Date | null): Promise<User | null> {
    const updated = await this.prisma.user.updateMany({ where: { id }, data: { disabledAt } });
    return updated.count === 1 ? this.findById(id) : null;
  }
}
