import { PolicySpecError, parseMaskingSpec, type MaskingSpec, type StatementMatch } from '@postern/policy';
import { UUID } from '../platform/common/validation.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { parseDialectMatch, ruleDialect } from './rule-dialects.js';
import type { RuleRecord } from './rule.types.js';

const GROUP = /^[\w.@:/-]{1,128}$/;
const MAX_CONNECTIONS = 100;
const MAX_GROUPS = 100;
export const MAX_REQUIRED_APPROVALS = 5;
export const MAX_TIMEOUT_SECONDS = 86_400;
const DEFAULT_TIMEOUT_SECONDS = 300;

/** A rule name as people read it in the dashboard and in audit: 1-100 printable characters. */
export function ruleName(value: string): string {
  const name = value.trim();
  if (name.length < 1 || name.length > 100 || /\p{Cc}/u.test(name)) {
    throw new InvalidArgumentError('name: must be 1 to 100 characters, without control characters');
  }
  return name;
}

export function connectionIdList(ids: readonly string[]): string[] {
  if (ids.length > MAX_CONNECTIONS) throw new InvalidArgumentError(`connectionIds: at most ${MAX_CONNECTIONS}`);
  ids.forEach((id, i) => {
    if (!UUID.test(id)) throw new InvalidArgumentError(`connectionIds[${i}]: must be a connection id (UUID)`);
  });
  return [...new Set(ids.map((id) => id.toLowerCase()))].sort();
}

/** Group names as they appear in the IdP's groups claim; `required` refuses an empty list. */
export function groupList(field: string, groups: readonly string[], required = false): string[] {
  if (required && groups.length === 0) throw new InvalidArgumentError(`${field}: at least one group is required`);
  if (groups.length > MAX_GROUPS) throw new InvalidArgumentError(`${field}: at most ${MAX_GROUPS} groups`);
  groups.forEach((group, i) => {
    if (!GROUP.test(group))
      throw new InvalidArgumentError(`${field}[${i}]: "${group.slice(0, 40)}" is not a valid group name`);
  });
  return [...new Set(groups)].sort();
}

export function integerIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${field}: must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Validates a statement match with its dialect's analyser (absent: postgres); its errors name the
 * offending field.
 */
export function statementMatch(input: unknown, dialect?: string | null): StatementMatch {
  const analyser = ruleDialect(dialect);
  return withSpecErrors('match', () => parseDialectMatch(analyser, withoutNulls(input)));
}

/** The dialect a rule names, checked against the registered analysers; absent: postgres. */
export function dialectOf(dialect: string | null | undefined): string {
  return ruleDialect(dialect).name;
}

export function maskingSpec(input: unknown): MaskingSpec {
  return withSpecErrors('spec', () => parseMaskingSpec(withoutNulls(input)));
}

function withSpecErrors<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof PolicySpecError)) throw error;
    throw new InvalidArgumentError(specErrorMessage(field, error));
  }
}

/**
 * "<field path>: <problem>", the path rooted at the input field (`match`, `spec`) whether or not
 * libs/policy already rooted it, and the problem without a path libs/policy may have prefixed.
 */
export function specErrorMessage(field: string, error: PolicySpecError): string {
  const rooted = error.path === field || error.path.startsWith(`${field}.`) || error.path.startsWith(`${field}[`);
  const path = error.path === '' ? field : rooted ? error.path : `${field}.${error.path}`;
  let problem = error.message;
  for (const prefix of [error.path, path, field]) {
    if (prefix !== '' && problem.startsWith(`${prefix}: `)) {
      problem = problem.slice(prefix.length + 2);
      break;
    }
  }
  return `${path}: ${problem}`;
}

/**
 * GraphQL hands absent optional fields over as null; the rule language treats a field as either
 * set or absent, so nulls are dropped (at any depth) before validation.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

// ---------- whole rules: what the rules API stores, and what policy simulation evaluates ----------

type Maybe<T> = T | null | undefined;

export interface GuardrailFields {
  name: string;
  /** The protocol whose analyser reads `match` (RULE_DIALECTS); absent: postgres. */
  dialect?: Maybe<string>;
  connectionIds?: Maybe<string[]>;
  groups?: Maybe<string[]>;
  match: unknown;
  enabled?: Maybe<boolean>;
}

export interface ApprovalRuleFields extends GuardrailFields {
  approverGroups: string[];
  requiredApprovals?: Maybe<number>;
  timeoutSeconds?: Maybe<number>;
}

export interface MaskingRuleFields {
  name: string;
  /** The protocol whose results the rule masks; absent: postgres. */
  dialect?: Maybe<string>;
  connectionIds?: Maybe<string[]>;
  exemptGroups?: Maybe<string[]>;
  spec: unknown;
  enabled?: Maybe<boolean>;
}

export function guardrailRecord(input: GuardrailFields): RuleRecord & { kind: 'guardrail' } {
  return {
    kind: 'guardrail',
    action: 'block',
    name: ruleName(input.name),
    connectionIds: connectionIdList(input.connectionIds ?? []),
    groups: groupList('groups', input.groups ?? []),
    spec: { match: statementMatch(input.match, input.dialect), dialect: dialectOf(input.dialect) },
    enabled: input.enabled ?? true,
  };
}

/** `minTimeoutSeconds`: POSTERN_APPROVAL_MIN_TIMEOUT_SECONDS. */
export function approvalRecord(
  input: ApprovalRuleFields,
  minTimeoutSeconds: number,
): RuleRecord & { kind: 'approval' } {
  return {
    kind: 'approval',
    action: 'hold',
    name: ruleName(input.name),
    connectionIds: connectionIdList(input.connectionIds ?? []),
    groups: groupList('groups', input.groups ?? []),
    spec: {
      match: statementMatch(input.match, input.dialect),
      dialect: dialectOf(input.dialect),
      approverGroups: groupList('approverGroups', input.approverGroups, true),
      requiredApprovals: integerIn('requiredApprovals', input.requiredApprovals ?? 1, 1, MAX_REQUIRED_APPROVALS),
      timeoutSeconds: integerIn(
        'timeoutSeconds',
        input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        minTimeoutSeconds,
        MAX_TIMEOUT_SECONDS,
      ),
    },
    enabled: input.enabled ?? true,
  };
}

export function maskingRecord(input: MaskingRuleFields): RuleRecord & { kind: 'masking' } {
  return {
    kind: 'masking',
    action: 'mask',
    name: ruleName(input.name),
    connectionIds: connectionIdList(input.connectionIds ?? []),
    groups: groupList('exemptGroups', input.exemptGroups ?? []),
    spec: { ...maskingSpec(input.spec), dialect: dialectOf(input.dialect) },
    enabled: input.enabled ?? true,
  };
}
