import type { Logger } from '@postern/logging';
import {
  parseMaskingSpec,
  type ApprovalRuleInput,
  type MaskingRuleInput,
  type StatementPolicy,
  type StatementRuleInput,
} from '@postern/policy';
import {
  compileMaskingPolicy,
  compileStatementPolicy,
  parseStatementMatch,
  POSTGRES_DIALECT,
  type MaskingPolicy,
} from '@postern/policy-postgres';
import type { PolicySnapshot__Output } from '@postern/proto';

/** The rule engines built from one policy snapshot; rebuilt only when the snapshot changes. */
export interface CompiledPolicy {
  version: string;
  statements: StatementPolicy;
  masking: MaskingPolicy;
  /** Rules this agent could not load, each replaced by its fail-closed stand-in. */
  problems: string[];
}

/**
 * Turns the snapshot's rules into libs/policy engines. The control plane validated every rule
 * when it was written; one that still does not load here (an older agent, a corrupted push)
 * must not silently stop applying, so it is replaced by its fail-closed stand-in: a guardrail
 * or approval rule that matches every statement, a masking rule that redacts every column.
 */
export function compilePolicy(snapshot: PolicySnapshot__Output, hashKey: Buffer): CompiledPolicy {
  const problems: string[] = [];
  const guardrails: StatementRuleInput[] = snapshot.guardrails.filter(forPostgres).map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    match: statementMatch(rule.specJson, `guardrail ${rule.name}`, problems),
  }));
  const approvals: ApprovalRuleInput[] = snapshot.approvalRules.filter(forPostgres).map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    approverGroups: rule.approverGroups,
    requiredApprovals: Math.max(1, rule.requiredApprovals),
    timeoutSeconds: Math.max(1, rule.timeoutSeconds),
    match: statementMatch(rule.specJson, `approval rule ${rule.name}`, problems),
  }));
  const masking: MaskingRuleInput[] = snapshot.maskingRules.filter(forPostgres).map((rule) => ({
    id: rule.id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    exemptGroups: rule.exemptGroups,
    spec: maskingSpec(rule.specJson, `masking rule ${rule.name}`, problems),
  }));
  return {
    version: snapshot.version,
    statements: compileStatementPolicy(guardrails, approvals),
    masking: compileMaskingPolicy(masking, { hashKey }),
    problems,
  };
}

/**
 * Rules for PostgreSQL sessions: a rule's dialect names the protocol whose analyser reads it
 * (empty from control planes older than dialects: postgres); other protocols' rules are theirs.
 */
function forPostgres(rule: { dialect?: string }): boolean {
  return !rule.dialect || rule.dialect === POSTGRES_DIALECT.name;
}

/** Caches the compiled form of the current snapshot (snapshots are replaced, never mutated). */
export class PolicyCompiler {
  private source: PolicySnapshot__Output | null = null;
  private compiled: CompiledPolicy | null = null;

  constructor(
    private readonly hashKey: Buffer,
    private readonly logger: Logger,
  ) {}

  current(snapshot: PolicySnapshot__Output | null): CompiledPolicy | null {
    if (snapshot === null) return null;
    if (snapshot !== this.source) {
      this.compiled = compilePolicy(snapshot, this.hashKey);
      this.source = snapshot;
      for (const problem of this.compiled.problems) {
        this.logger.error({ policyVersion: snapshot.version, problem }, 'policy rule not loadable; failing closed');
      }
    }
    return this.compiled;
  }
}

function statementMatch(json: string, label: string, problems: string[]): StatementRuleInput['match'] {
  try {
    return parseStatementMatch(JSON.parse(json));
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    // Every statement has a kind; "*" relation patterns would miss relation-less statements.
    return parseStatementMatch({ statementKinds: ['*'] });
  }
}

function maskingSpec(json: string, label: string, problems: string[]): MaskingRuleInput['spec'] {
  try {
    return parseMaskingSpec(JSON.parse(json));
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    return { columns: ['*'], style: 'redact' };
  }
}
