import {
  MATCH_EVERY_COMMAND,
  parseMaskingSpec,
  type ApprovalRuleInput,
  type MaskingRuleInput,
  type StatementMatch,
  type StatementRuleInput,
} from '@postern/policy';
import type { DialectRules } from '../engines/engine.js';

/** A dialect's rules in libs/policy's input form, and those that did not load. */
export interface RuleInputs {
  guardrails: StatementRuleInput[];
  approvals: ApprovalRuleInput[];
  masking: MaskingRuleInput[];
  problems: string[];
}

/**
 * Turns one dialect's snapshot rules into libs/policy inputs, every engine alike; `parseMatch` is
 * the dialect's match parser. The control plane validated every rule when it was written; one
 * that still does not load here (an older agent, a corrupted push) must not silently stop
 * applying, so it is replaced by its fail-closed stand-in — a command rule matching every command
 * (MATCH_EVERY_COMMAND), a masking rule redacting every column — and named in `problems`.
 */
export function ruleInputs(rules: DialectRules, parseMatch: (body: unknown) => StatementMatch): RuleInputs {
  const problems: string[] = [];
  const match = (json: string, label: string): StatementMatch =>
    loaded(json, parseMatch, label, problems) ?? MATCH_EVERY_COMMAND;
  const guardrails = rules.guardrails.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    match: match(rule.specJson, `guardrail ${rule.name}`),
  }));
  const approvals = rules.approvalRules.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    approverGroups: rule.approverGroups,
    requiredApprovals: Math.max(1, rule.requiredApprovals),
    timeoutSeconds: Math.max(1, rule.timeoutSeconds),
    match: match(rule.specJson, `approval rule ${rule.name}`),
  }));
  const masking = rules.maskingRules.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    exemptGroups: rule.exemptGroups,
    spec: loaded(rule.specJson, parseMaskingSpec, `masking rule ${rule.name}`, problems) ?? {
      columns: ['*'],
      style: 'redact' as const,
    },
  }));
  return { guardrails, approvals, masking, problems };
}

function loaded<T>(json: string, parse: (body: unknown) => T, label: string, problems: string[]): T | null {
  try {
    return parse(JSON.parse(json));
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
