import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { requireUuid } from '../platform/common/validation.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { PolicyService } from '../policy/policy.service.js';
import {
  approvalRecord,
  guardrailRecord,
  maskingRecord,
  type ApprovalRuleFields,
  type GuardrailFields,
  type MaskingRuleFields,
} from './rule-validation.js';
import { RulesRepository } from './rules.repository.js';
import type { ApprovalRule, Guardrail, MaskingRule, RuleKind, RuleRecord } from './rule.types.js';

type Patch<T> = { [K in keyof T]?: T[K] | null | undefined };

const LABEL: Record<RuleKind, string> = { guardrail: 'guardrail', approval: 'approval rule', masking: 'masking rule' };
const AUDIT_KIND: Record<RuleKind, string> = {
  guardrail: 'guardrail',
  approval: 'approval_rule',
  masking: 'masking_rule',
};

/**
 * Guardrails, approval rules and masking rules: validated here (bodies by libs/policy, the same
 * code agents run), audited, and pushed to the agents of the connections they apply to.
 */
@Injectable()
export class RulesService {
  constructor(
    private readonly repository: RulesRepository,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  list<K extends RuleKind>(kind: K, connectionId?: string) {
    return this.repository.list(kind, connectionId ? requireUuid(connectionId, 'connectionId') : undefined);
  }

  async createGuardrail(input: GuardrailFields, actor: string): Promise<Guardrail> {
    return this.save('guardrail', null, guardrailRecord(input), actor);
  }

  async updateGuardrail(id: string, patch: Patch<GuardrailFields>, actor: string): Promise<Guardrail> {
    const current = await this.get('guardrail', id);
    return this.save('guardrail', current, guardrailRecord(merge(current, patch)), actor);
  }

  async createApprovalRule(input: ApprovalRuleFields, actor: string): Promise<ApprovalRule> {
    return this.save('approval', null, approvalRecord(input, this.config.approvals.minTimeoutSeconds), actor);
  }

  async updateApprovalRule(id: string, patch: Patch<ApprovalRuleFields>, actor: string): Promise<ApprovalRule> {
    const current = await this.get('approval', id);
    return this.save(
      'approval',
      current,
      approvalRecord(merge(current, patch), this.config.approvals.minTimeoutSeconds),
      actor,
    );
  }

  async createMaskingRule(input: MaskingRuleFields, actor: string): Promise<MaskingRule> {
    return this.save('masking', null, maskingRecord(input), actor);
  }

  async updateMaskingRule(id: string, patch: Patch<MaskingRuleFields>, actor: string): Promise<MaskingRule> {
    const current = await this.get('masking', id);
    return this.save('masking', current, maskingRecord(merge(current, patch)), actor);
  }

  async delete<K extends RuleKind>(kind: K, id: string, actor: string) {
    const rule = await this.repository.delete(kind, requireUuid(id, 'id'));
    if (!rule) throw new NotFoundError(LABEL[kind], id);
    await this.changed(kind, 'deleted', rule, actor, await this.agentsOf(rule.connectionIds));
    return rule;
  }

  private async get<K extends RuleKind>(kind: K, id: string) {
    const rule = await this.repository.find(kind, requireUuid(id, 'id'));
    if (!rule) throw new NotFoundError(LABEL[kind], id);
    return rule;
  }

  /** Writes a rule, then audits it and pushes policy to the agents it applied to before or after. */
  private async save<K extends RuleKind>(
    kind: K,
    current: { id: string; connectionIds: string[] } | null,
    record: RuleRecord & { kind: K },
    actor: string,
  ) {
    const { agentIds, missing } = await this.repository.connectionAgents(record.connectionIds);
    if (missing.length > 0) throw new InvalidArgumentError(`connectionIds: no connection ${missing[0]}`);
    const rule = current ? await this.repository.update(current.id, record) : await this.repository.create(record);
    if (!rule) throw new NotFoundError(LABEL[kind], current!.id);
    const before = current ? await this.agentsOf(current.connectionIds) : [];
    // An empty list means "every agent": a rule naming no connection applies everywhere.
    const affected =
      record.connectionIds.length === 0 || (current && current.connectionIds.length === 0)
        ? []
        : [...new Set([...agentIds, ...before])];
    await this.changed(kind, current ? 'updated' : 'created', rule, actor, affected);
    return rule;
  }

  private async agentsOf(connectionIds: string[]): Promise<string[]> {
    if (connectionIds.length === 0) return [];
    return (await this.repository.connectionAgents(connectionIds)).agentIds;
  }

  private async changed(
    kind: RuleKind,
    verb: 'created' | 'updated' | 'deleted',
    rule: { id: string; name: string; connectionIds: string[]; enabled: boolean },
    actor: string,
    agentIds: string[],
  ): Promise<void> {
    await this.audit.record({
      kind: `${AUDIT_KIND[kind]}.${verb}`,
      actorId: actor,
      actorKind: 'admin',
      ruleId: rule.id,
      details: {
        ruleId: rule.id,
        ruleKind: kind,
        name: rule.name,
        enabled: rule.enabled,
        connectionIds: rule.connectionIds.join(',') || null,
      },
    });
    await this.policy.changed(`${LABEL[kind]} ${verb}`, rule.connectionIds.length === 0 ? [] : agentIds);
  }
}

/** A stored rule with the fields a patch sets replaced (absent or null fields are kept). */
function merge<T extends object, P extends object>(current: T, patch: P): T & P {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined));
  return { ...current, ...set } as T & P;
}
