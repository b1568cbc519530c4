import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';

export interface ApiSessionRecord {
  id: string;
  userId: string;
  expiresAt: Date;
  endedAt: Date | null;
}

/** Browser sign-in sessions, keyed by the digest of their access token. */
@Injectable()
export class ApiSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async start(input: { userId: string; tokenDigest: Buffer; expiresAt: Date }): Promise<ApiSessionRecord> {
    // The same token signed in twice (a replayed callback is refused earlier) is one session.
    return this.prisma.apiSession.upsert({
      where: { tokenDigest: new Uint8Array(input.tokenDigest) },
      create: { userId: input.userId, tokenDigest: new Uint8Array(input.tokenDigest), expiresAt: input.expiresAt },
      update: {},
      select: { id: true, userId: true, expiresAt: true, endedAt: true },
    });
  }

  async isEnded(tokenDigest: Buffer): Promise<boolean> {
    const row = await this.prisma.apiSession.findUnique({
      where: { tokenDigest: new Uint8Array(tokenDigest) },
      select: { endedAt: true },
    });
    return row?.endedAt !== null && row?.endedAt !== undefined;
  }

  /** Ends the session of this token if it is open; null when there is none (or it had ended). */
  async end(tokenDigest: Buffer, reason: string, at: Date): Promise<ApiSessionRecord | null> {
    const ended = await this.prisma.apiSession.updateManyAndReturn({
      where: { tokenDigest: new Uint8Array(tokenDigest), endedAt: null },
      data: { endedAt: at, endReason: reason },
      select: { id: true, userId: true, expiresAt: true, endedAt: true },
    });
    return ended[0] ?? null;
  }
}
