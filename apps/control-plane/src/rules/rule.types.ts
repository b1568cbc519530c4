import type { MaskingSpec, StatementMatch } from '@postern/policy';

export type RuleKind = 'guardrail' | 'approval' | 'masking';

interface RuleBase {
  id: string;
  name: string;
  /** The protocol whose analyser validated the rule and whose sessions it applies to ("postgres"). */
  dialect: string;
  /** Empty: every connection. */
  connectionIds: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Blocks matching statements (the client gets a protocol-native error; the session continues). */
export interface Guardrail extends RuleBase {
  /** Whose statements it applies to; empty: everyone. */
  groups: string[];
  match: StatementMatch;
}

/** Holds matching statements until approvers decide (a COMMAND review). */
export interface ApprovalRule extends RuleBase {
  groups: string[];
  match: StatementMatch;
  approverGroups: string[];
  requiredApprovals: number;
  timeoutSeconds: number;
}

/** Masks matching columns and detected values in result rows. */
export interface MaskingRule extends RuleBase {
  exemptGroups: string[];
  spec: MaskingSpec;
}

/** A rule as stored: the common columns and the kind-specific body. */
export interface RuleRecord {
  kind: RuleKind;
  name: string;
  connectionIds: string[];
  groups: string[];
  action: 'block' | 'hold' | 'mask';
  spec: Record<string, unknown>;
  enabled: boolean;
}

/** Where a rule applies: its connections' agents, or every agent when it names no connection. */
export interface RuleScope {
  connectionIds: string[];
}
