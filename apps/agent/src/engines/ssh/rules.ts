import {
  compileCommandPolicy,
  MATCH_EVERY_COMMAND,
  parseCommandMatch,
  type ApprovalRuleInput,
  type StatementRuleInput,
} from '@postern/policy';
import { shellAnalyser, SSH_DIALECT } from '@postern/policy-ssh';
import type { CompiledRules, DialectRules, EngineContext, SessionRules } from '../engine.js';

/** What an SSH session is governed by: exec command rules on the shell analyser (no masking yet). */
export type SshSessionRules = SessionRules;

/**
 * Turns the snapshot's `ssh` rules into command policy. Masking rules are not applied to SSH
 * output (none are compiled); a guardrail or approval rule that does not load becomes its
 * fail-closed stand-in (matches every command) and is named in `problems`.
 */
export function compileSshRules(rules: DialectRules): CompiledRules<SshSessionRules> {
  const problems: string[] = [];
  const guardrails: StatementRuleInput[] = rules.guardrails.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    match: commandMatch(rule.specJson, `guardrail ${rule.name}`, problems),
  }));
  const approvals: ApprovalRuleInput[] = rules.approvalRules.map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    approverGroups: rule.approverGroups,
    requiredApprovals: Math.max(1, rule.requiredApprovals),
    timeoutSeconds: Math.max(1, rule.timeoutSeconds),
    match: commandMatch(rule.specJson, `approval rule ${rule.name}`, problems),
  }));
  if (rules.maskingRules.length > 0) problems.push('masking rules are not applied to SSH sessions');
  const statements = compileCommandPolicy(shellAnalyser(), guardrails, approvals);
  return {
    problems,
    forSession: (connectionId, groups) => ({ statements: statements.forSession(connectionId, groups) }),
  };
}

function commandMatch(json: string, label: string, problems: string[]): StatementRuleInput['match'] {
  try {
    return parseCommandMatch(SSH_DIALECT, JSON.parse(json));
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    return MATCH_EVERY_COMMAND;
  }
}

/** The context an SSH session is served with. */
export type SshContext = EngineContext<SshSessionRules>;
