import { Injectable } from '@nestjs/common';
import type { MaskingSpec, StatementMatch } from '@postern/policy';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { PolicyRule as Row, Prisma } from '../generated/prisma/client.js';
import { DEFAULT_RULE_DIALECT } from './rule-dialects.js';
import type { ApprovalRule, Guardrail, MaskingRule, RuleKind, RuleRecord } from './rule.types.js';

function base(row: Row) {
  return {
    id: row.id,
    name: row.name,
    dialect: dialectOf(row),
    connectionIds: row.connectionIds,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Rules stored before dialects existed carry none: they are PostgreSQL rules. */
function dialectOf(row: Row): string {
  const dialect = (row.spec as { dialect?: unknown } | null)?.dialect;
  return typeof dialect === 'string' ? dialect : DEFAULT_RULE_DIALECT;
}

// Bodies were validated by their dialect's analyser when written; they are read back as stored.
function toGuardrail(row: Row): Guardrail {
  const spec = row.spec as unknown as { match: StatementMatch };
  return { ...base(row), groups: row.groups, match: spec.match };
}

function toApprovalRule(row: Row): ApprovalRule {
  const spec = row.spec as unknown as {
    match: StatementMatch;
    approverGroups: string[];
    requiredApprovals: number;
    timeoutSeconds: number;
  };
  return {
    ...base(row),
    groups: row.groups,
    match: spec.match,
    approverGroups: spec.approverGroups,
    requiredApprovals: spec.requiredApprovals,
    timeoutSeconds: spec.timeoutSeconds,
  };
}

function toMaskingRule(row: Row): MaskingRule {
  const { dialect: _dialect, ...spec } = row.spec as unknown as MaskingSpec & { dialect?: string };
  return { ...base(row), exemptGroups: row.groups, spec };
}

const CONVERT = { guardrail: toGuardrail, approval: toApprovalRule, masking: toMaskingRule } as const;
type RuleOf<K extends RuleKind> = ReturnType<(typeof CONVERT)[K]>;

/** Guardrails, approval rules and masking rules, all kept in `policy_rules`. */
@Injectable()
export class RulesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list<K extends RuleKind>(kind: K, connectionId: string | undefined): Promise<RuleOf<K>[]> {
    const rows = await this.prisma.policyRule.findMany({
      where: {
        kind,
        ...(connectionId
          ? { OR: [{ connectionIds: { isEmpty: true } }, { connectionIds: { has: connectionId } }] }
          : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map((row) => CONVERT[kind](row) as RuleOf<K>);
  }

  async find<K extends RuleKind>(kind: K, id: string): Promise<RuleOf<K> | null> {
    const row = await this.prisma.policyRule.findFirst({ where: { id, kind } });
    return row ? (CONVERT[kind](row) as RuleOf<K>) : null;
  }

  async create<K extends RuleKind>(record: RuleRecord & { kind: K }): Promise<RuleOf<K>> {
    const row = await this.prisma.policyRule.create({
      data: { ...record, spec: record.spec as Prisma.InputJsonObject },
    });
    return CONVERT[record.kind](row) as RuleOf<K>;
  }

  async update<K extends RuleKind>(id: string, record: RuleRecord & { kind: K }): Promise<RuleOf<K> | null> {
    const { kind, ...data } = record;
    const updated = await this.prisma.policyRule.updateMany({
      where: { id, kind },
      data: { ...data, spec: data.spec as Prisma.InputJsonObject },
    });
    return updated.count === 1 ? this.find(kind, id) : null;
  }

  async delete<K extends RuleKind>(kind: K, id: string): Promise<RuleOf<K> | null> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.policyRule.findFirst({ where: { id, kind } });
      if (!row) return null;
      await tx.policyRule.delete({ where: { id } });
      return CONVERT[kind](row) as RuleOf<K>;
    });
  }

  /** The agents serving these connections; ids that name no connection are returned as missing. */
  async connectionAgents(ids: string[]): Promise<{ agentIds: string[]; missing: string[] }> {
    const rows = await this.prisma.connection.findMany({
      where: { id: { in: ids } },
      select: { id: true, agentId: true, agentGroup: { select: { agents: { select: { id: true } } } } },
    });
    const found = new Set(rows.map((r) => r.id));
    // A connection served by an agent group is in every member's snapshot.
    const serving = (r: (typeof rows)[number]) => [
      ...(r.agentId ? [r.agentId] : []),
      ...(r.agentGroup?.agents.map((a) => a.id) ?? []),
    ];
    return {
      agentIds: [...new Set(rows.flatMap(serving))],
      missing: ids.filter((id) => !found.has(id)),
    };
  }
}
