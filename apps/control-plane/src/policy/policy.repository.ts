import { Injectable } from '@nestjs/common';
import { loginNames } from '@postern/oidc';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';

export interface CompiledConnection {
  id: string;
  name: string;
  protocol: string;
  targetHost: string;
  targetPort: number;
  targetDatabase: string | null;
  targetUser: string | null;
  secretRef: string | null;
  tlsMode: string;
  tlsCaRef: string | null;
  /** The protocol's own settings (SSH host key, URL, auth header name), pushed as they are. */
  settings: Record<string, string>;
  recordingMode: string;
}

export interface CompiledAccessRule {
  id: string;
  connectionId: string;
  groups: string[];
  operations: string[];
  requiresApproval: boolean;
  maxSessionSeconds: number | null;
}

/** A guardrail, approval or masking rule, scoped to one agent's connections. */
export interface CompiledRule {
  id: string;
  kind: 'guardrail' | 'approval' | 'masking';
  name: string;
  /** The rule's connections that this agent serves; empty: every connection. */
  connectionIds: string[];
  /** Whose statements (guardrail, approval) or who is exempt (masking). */
  groups: string[];
  action: string | null;
  spec: Record<string, unknown>;
}

export interface CompiledCredential {
  id: string;
  secretHash: Buffer;
  connectionId: string;
  expiresAt: Date;
  principal: { id: string; displayName: string; groups: string[]; loginNames: string[] };
}

export interface CompiledSshKey {
  id: string;
  fingerprint: string;
  publicKey: Buffer;
  principal: { id: string; displayName: string; groups: string[]; loginNames: string[] };
}

/** Reads what one agent must enforce, in one consistent snapshot (a repeatable-read transaction). */
@Injectable()
export class PolicyRepository {
  constructor(private readonly prisma: PrismaService) {}

  async latestVersion(): Promise<bigint> {
    const row = await this.prisma.policyVersion.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
    return row?.version ?? 0n;
  }

  async bump(reason: string): Promise<bigint> {
    return (await this.prisma.policyVersion.create({ data: { reason } })).version;
  }

  async compileForAgent(agentId: string, now: Date) {
    return this.prisma.$transaction(
      async (tx) => {
        const version =
          (await tx.policyVersion.findFirst({ orderBy: { version: 'desc' }, select: { version: true } }))?.version ??
          0n;
        // Its own connections and those of its agent group (every replica serves them).
        const agent = await tx.agent.findUnique({ where: { id: agentId }, select: { agentGroupId: true } });
        const connections = await tx.connection.findMany({
          where: agent?.agentGroupId ? { OR: [{ agentId }, { agentGroupId: agent.agentGroupId }] } : { agentId },
          orderBy: { name: 'asc' },
        });
        const connectionIds = connections.map((c) => c.id);
        const rules = await tx.accessRule.findMany({ where: { connectionId: { in: connectionIds } } });
        // Enabled rules naming no connection (all of them) or one of this agent's.
        const policyRules = await tx.policyRule.findMany({
          where: {
            enabled: true,
            kind: { in: ['guardrail', 'approval', 'masking'] },
            OR: [{ connectionIds: { isEmpty: true } }, { connectionIds: { hasSome: connectionIds } }],
          },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        });
        // People and machines disabled in Postern, so agents refuse their IdP tokens too.
        const disabledUsers = await tx.user.findMany({
          where: { disabledAt: { not: null } },
          select: { subject: true, disabledAt: true },
        });
        const disabledServices = await tx.serviceIdentity.findMany({
          where: { disabledAt: { not: null } },
          select: { subject: true, disabledAt: true },
        });
        const grants = await tx.grant.findMany({
          where: {
            connectionId: { in: connectionIds },
            revokedAt: null,
            expiresAt: { gt: now },
            user: { disabledAt: null },
          },
        });
        const credentials = await tx.connectionCredential.findMany({
          where: {
            connectionId: { in: connectionIds },
            revokedAt: null,
            expiresAt: { gt: now },
            user: { disabledAt: null },
          },
          include: { user: { include: { memberships: { include: { group: true } } } } },
        });
        // SSH keys of enabled users who may reach one of this agent's SSH connections: by a rule
        // naming one of their groups, or by a grant. Other users' keys are no business of this agent.
        const sshConnectionIds = connections.filter((c) => c.protocol === 'SSH').map((c) => c.id);
        const sshGroups = [
          ...new Set(rules.filter((r) => sshConnectionIds.includes(r.connectionId)).flatMap((r) => r.groups)),
        ];
        const sshGrantUsers = grants.filter((g) => sshConnectionIds.includes(g.connectionId)).map((g) => g.userId);
        const sshKeys =
          sshConnectionIds.length === 0
            ? []
            : await tx.sshPublicKey.findMany({
                where: {
                  user: {
                    disabledAt: null,
                    OR: [
                      { memberships: { some: { group: { name: { in: sshGroups } } } } },
                      { id: { in: sshGrantUsers } },
                    ],
                  },
                },
                include: { user: { include: { memberships: { include: { group: true } } } } },
                orderBy: { id: 'asc' },
              });
        return {
          version,
          sshKeys: sshKeys.map((k): CompiledSshKey => ({
            id: k.id,
            fingerprint: k.fingerprint,
            publicKey: Buffer.from(k.publicKey),
            principal: {
              id: k.user.id,
              displayName: k.user.displayName ?? k.user.email ?? k.user.subject,
              groups: k.user.memberships.map((m) => m.group.name).sort(),
              loginNames: loginNames({ subject: k.user.subject, email: k.user.email ?? undefined }),
            },
          })),
          connections: connections.map((c): CompiledConnection => ({
            id: c.id,
            name: c.name,
            protocol: c.protocol.toLowerCase(),
            targetHost: c.targetHost,
            targetPort: c.targetPort,
            targetDatabase: c.targetDatabase,
            targetUser: c.targetUser,
            secretRef: c.secretRef,
            tlsMode: c.tlsMode,
            tlsCaRef: ((c.settings ?? {}) as { tlsCaRef?: string }).tlsCaRef ?? null,
            settings: protocolSettings(c.settings),
            recordingMode: c.recordingMode,
          })),
          accessRules: rules.map((r): CompiledAccessRule => ({
            id: r.id,
            connectionId: r.connectionId,
            groups: r.groups,
            operations: r.operations,
            requiresApproval: r.requiresApproval,
            maxSessionSeconds: r.maxSessionSeconds,
          })),
          policyRules: policyRules.map((r): CompiledRule => ({
            id: r.id,
            kind: r.kind as CompiledRule['kind'],
            name: r.name,
            // Other agents' connections are none of this agent's business.
            connectionIds: r.connectionIds.filter((id) => connectionIds.includes(id)),
            groups: r.groups,
            action: r.action,
            spec: r.spec as Record<string, unknown>,
          })),
          revokedSubjects: [...disabledUsers, ...disabledServices].map((p) => ({
            subject: p.subject,
            at: p.disabledAt!,
          })),
          grants: grants.map((g) => ({
            id: g.id,
            principalId: g.userId,
            connectionId: g.connectionId,
            operations: g.operations,
            expiresAt: g.expiresAt,
          })),
          credentials: credentials.map((c): CompiledCredential => ({
            id: c.id,
            secretHash: Buffer.from(c.secretHash),
            connectionId: c.connectionId,
            expiresAt: c.expiresAt,
            principal: {
              id: c.user.id,
              displayName: c.user.displayName ?? c.user.email ?? c.user.subject,
              groups: c.user.memberships.map((m) => m.group.name).sort(),
              loginNames: loginNames({ subject: c.user.subject, email: c.user.email ?? undefined }),
            },
          })),
        };
      },
      { isolationLevel: 'RepeatableRead' },
    );
  }
}

/** The string-valued settings of a connection other than tlsCaRef (which has a field of its own). */
function protocolSettings(stored: unknown): Record<string, string> {
  const settings: Record<string, string> = {};
  if (typeof stored !== 'object' || stored === null) return settings;
  for (const [key, value] of Object.entries(stored)) {
    if (key !== 'tlsCaRef' && typeof value === 'string') settings[key] = value;
  }
  return settings;
}
