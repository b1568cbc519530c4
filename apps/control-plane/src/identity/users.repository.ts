import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
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
          // Entered by an administrator, who vouches for it (AccountLinks).
          emailVerified: input.email !== null,
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

  /**
   * Creates or updates a user from verified token claims. Group memberships that came from the
   * IdP are replaced by the claim's groups; memberships assigned in Postern (MANUAL) stay.
   */
  async upsertFromIdentity(input: {
    issuer: string;
    subject: string;
    email: string | null;
    /** The token's email_verified claim (null: the token does not say). */
    emailVerified: boolean | null;
    displayName: string | null;
    groups: string[];
  }): Promise<User> {
    const user = await this.prisma.$transaction(async (tx) => {
      const known = await tx.user.findUnique({
        where: { issuer_subject: { issuer: input.issuer, subject: input.subject } },
        select: { email: true, emailVerified: true },
      });
      // A token silent about verification keeps what an earlier one said about the same address.
      const emailVerified =
        input.emailVerified ?? (known !== null && known.email === input.email && known.emailVerified);
      const row = await tx.user.upsert({
        where: { issuer_subject: { issuer: input.issuer, subject: input.subject } },
        create: {
          issuer: input.issuer,
          subject: input.subject,
          email: input.email,
          emailVerified: input.email !== null && emailVerified,
          displayName: input.displayName,
          lastLoginAt: new Date(),
        },
        // Claims absent from this token (access tokens often carry no name) keep what we know.
        update: {
          ...(input.email !== null ? { email: input.email, emailVerified } : {}),
          ...(input.displayName !== null ? { displayName: input.displayName } : {}),
          lastLoginAt: new Date(),
        },
      });
      await syncIdpGroups(tx, { userId: row.id }, input.groups);
      return row.id;
    });
    return (await this.findById(user))!;
  }

  /** The same for a machine identity (client credentials, workload identity federation). */
  async upsertServiceIdentity(input: { issuer: string; subject: string; name: string; groups: string[] }) {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.serviceIdentity.upsert({
        where: { issuer_subject: { issuer: input.issuer, subject: input.subject } },
        create: { issuer: input.issuer, subject: input.subject, name: input.name },
        update: {},
      });
      await syncIdpGroups(tx, { serviceIdentityId: row.id }, input.groups);
      return { id: row.id, disabledAt: row.disabledAt, groups: [...input.groups].sort() };
    });
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

type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];

/**
 * Makes the IdP-sourced memberships of a user or service identity exactly `groups`; memberships
 * assigned in Postern (MANUAL) are left alone.
 */
async function syncIdpGroups(
  tx: Tx,
  owner: { userId: string } | { serviceIdentityId: string },
  groups: string[],
): Promise<void> {
  await tx.membership.deleteMany({ where: { ...owner, source: 'IDP', group: { name: { notIn: groups } } } });
  for (const name of groups) {
    const group = await tx.group.upsert({ where: { name }, create: { name }, update: {} });
    const existing = await tx.membership.findFirst({ where: { ...owner, groupId: group.id }, select: { id: true } });
    if (!existing) await tx.membership.create({ data: { ...owner, groupId: group.id, source: 'IDP' } });
  }
}
