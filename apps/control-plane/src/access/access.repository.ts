import { Injectable } from '@nestjs/common';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { AccessRule as Row, ConnectionCredential as CredentialRow } from '../generated/prisma/client.js';
import type { AccessRule, ConnectionCredentialInfo, Operation } from './access.types.js';

function toRule(row: Row): AccessRule {
  return {
    id: row.id,
    connectionId: row.connectionId,
    groups: row.groups,
    operations: row.operations as Operation[],
    requiresApproval: row.requiresApproval,
    approverGroups: row.approverGroups,
    maxSessionSeconds: row.maxSessionSeconds,
    createdAt: row.createdAt,
  };
}

function toCredential(row: CredentialRow): ConnectionCredentialInfo {
  return {
    id: row.id,
    userId: row.userId,
    connectionId: row.connectionId,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}

export interface CredentialForLogin {
  id: string;
  secretHash: Buffer;
  connectionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  user: { id: string; subject: string; email: string | null; disabledAt: Date | null; groups: string[] };
}

export interface SshKeyForLogin {
  publicKey: Buffer;
  user: CredentialForLogin['user'];
}

/** What a login check needs of a credential's or key's owner: the user and its group names. */
const LOGIN_USER = { user: { include: { memberships: { include: { group: true } } } } } as const;

function loginUser(user: {
  id: string;
  subject: string;
  email: string | null;
  disabledAt: Date | null;
  memberships: { group: { name: string } }[];
}) {
  return {
    id: user.id,
    subject: user.subject,
    email: user.email,
    disabledAt: user.disabledAt,
    groups: user.memberships.map((m) => m.group.name),
  };
}

@Injectable()
export class AccessRepository {
  constructor(private readonly prisma: PrismaService) {}

  async createRule(input: Omit<AccessRule, 'id' | 'createdAt'>): Promise<AccessRule> {
    return toRule(await this.prisma.accessRule.create({ data: input }));
  }

  async deleteRule(id: string): Promise<AccessRule | null> {
    const row = await this.prisma.accessRule.findUnique({ where: { id } });
    if (!row) return null;
    await this.prisma.accessRule.delete({ where: { id } });
    return toRule(row);
  }

  async rulesFor(connectionId: string | undefined): Promise<AccessRule[]> {
    const rows = await this.prisma.accessRule.findMany({
      where: connectionId ? { connectionId } : {},
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toRule);
  }

  /** The latest-expiring active just-in-time grant of a user on a connection, if any. */
  async activeGrantExpiry(userId: string, connectionId: string, now: Date): Promise<Date | null> {
    const grant = await this.prisma.grant.findFirst({
      where: { userId, connectionId, revokedAt: null, expiresAt: { gt: now } },
      orderBy: { expiresAt: 'desc' },
    });
    return grant?.expiresAt ?? null;
  }

  /** The latest expiry of each connection's active just-in-time grants of a user (one query). */
  async activeGrantExpiries(userId: string, now: Date): Promise<Map<string, Date>> {
    const rows = await this.prisma.grant.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: now } },
      select: { connectionId: true, expiresAt: true },
    });
    const latest = new Map<string, Date>();
    for (const row of rows) {
      const seen = latest.get(row.connectionId);
      if (!seen || row.expiresAt > seen) latest.set(row.connectionId, row.expiresAt);
    }
    return latest;
  }

  /** A connection credential with what a login needs of its user, or null. */
  async credentialForLogin(id: string): Promise<CredentialForLogin | null> {
    const row = await this.prisma.connectionCredential.findUnique({
      where: { id },
      include: LOGIN_USER,
    });
    if (!row) return null;
    return {
      id: row.id,
      secretHash: Buffer.from(row.secretHash),
      connectionId: row.connectionId,
      expiresAt: row.expiresAt,
      revokedAt: row.revokedAt,
      user: loginUser(row.user),
    };
  }

  /** The registered SSH key with this fingerprint (unique across users) and its owner, for a relay login. */
  async sshKeyForLogin(fingerprint: string): Promise<SshKeyForLogin | null> {
    const row = await this.prisma.sshPublicKey.findUnique({
      where: { fingerprint },
      include: LOGIN_USER,
    });
    if (!row) return null;
    return {
      publicKey: Buffer.from(row.publicKey),
      user: loginUser(row.user),
    };
  }

  async createCredential(input: {
    id: string;
    userId: string;
    connectionId: string;
    secretHash: Buffer<ArrayBuffer>;
    expiresAt: Date;
  }): Promise<ConnectionCredentialInfo> {
    return toCredential(await this.prisma.connectionCredential.create({ data: input }));
  }

  async revokeCredential(id: string, at: Date): Promise<ConnectionCredentialInfo | null> {
    const updated = await this.prisma.connectionCredential.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at },
    });
    if (updated.count !== 1) return null;
    const row = await this.prisma.connectionCredential.findUnique({ where: { id } });
    return row ? toCredential(row) : null;
  }
}
