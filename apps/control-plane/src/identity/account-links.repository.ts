import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { UUID } from '../platform/common/validation.js';

/** What links an account to others: its subject, and its e-mail when verified. */
export interface AccountKeys {
  id: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

@Injectable()
export class AccountLinksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The accounts with these ids, or with these subjects (any issuer). */
  async accounts(where: { ids: string[]; subjects: string[] }): Promise<AccountKeys[]> {
    const ids = where.ids.filter((id) => UUID.test(id));
    if (ids.length === 0 && where.subjects.length === 0) return [];
    return this.prisma.user.findMany({
      where: { OR: [{ id: { in: ids } }, { subject: { in: where.subjects } }] },
      select: { id: true, subject: true, email: true, emailVerified: true },
    });
  }

  /** Accounts sharing one of `subjects`, or one of the verified `emails` (case-insensitive). */
  async sharing(subjects: string[], emails: string[]): Promise<AccountKeys[]> {
    if (subjects.length === 0 && emails.length === 0) return [];
    return this.prisma.user.findMany({
      where: {
        OR: [
          ...(subjects.length > 0 ? [{ subject: { in: subjects } }] : []),
          ...emails.map((email) => ({ emailVerified: true, email: { equals: email, mode: 'insensitive' as const } })),
        ],
      },
      select: { id: true, subject: true, email: true, emailVerified: true },
    });
  }
}
