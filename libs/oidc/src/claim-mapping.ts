/**
 * Mapping rules from a verified workload token's claims to a machine identity (a name and its
 * groups): pure, no I/O. A rule maps a token when every one of its conditions holds; the first
 * rule that maps wins. Fail closed throughout: a claim that is missing, or is an object or an
 * array, never satisfies a condition and never fills a template; a rendered name or group that
 * is not a valid name refuses the rule instead of being cleaned up.
 */

/** One condition on one claim (`claim` is a name or a dotted path, e.g. `kubernetes.io.namespace`). */
export type ClaimCondition =
  | { claim: string; equals: string }
  /** `*` matches any run of characters but `/`, `**` any run at all; everything else is literal. */
  | { claim: string; glob: string }
  | { claim: string; oneOf: readonly string[] };

export interface ClaimMappingRule {
  conditions: readonly ClaimCondition[];
  /** Template of the identity's name: literal text and `{claim.path}` placeholders. */
  identity: string;
  /** Templates of its groups (often plain names). */
  groups: readonly string[];
}

export type ClaimMapping =
  | {
      matched: true;
      /** Index of the rule that mapped the token. */
      rule: number;
      identity: string;
      groups: string[];
      /** The claims the rule read (conditions and templates), as strings: what the audit keeps. */
      claims: Record<string, string>;
    }
  | { matched: false; reasons: string[] };

/** Machine identity names: printable, no spaces or quotes, at most 200 characters. */
export const MACHINE_IDENTITY_NAME = /^[A-Za-z0-9][\w.@:/+=~-]{0,199}$/;
/** Group names, as the control plane accepts them everywhere else. */
export const GROUP_NAME = /^[\w.@:/-]{1,128}$/;
const CLAIM_PATH = /^[A-Za-z0-9_$][\w.$:/-]{0,127}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const MAX_RULES = 100;
const MAX_CONDITIONS = 20;
const MAX_ONE_OF = 100;
const MAX_GROUPS = 50;
const MAX_PATTERN = 256;

export class ClaimMappingError extends Error {
  override readonly name = 'ClaimMappingError';
}

/**
 * Checks rules as an administrator wrote them; throws `ClaimMappingError` naming the first
 * problem. Returns them normalised (groups de-duplicated), ready to store and to evaluate.
 */
export function validateClaimMappingRules(rules: readonly ClaimMappingRule[]): ClaimMappingRule[] {
  if (rules.length === 0) throw new ClaimMappingError('at least one mapping rule is required');
  if (rules.length > MAX_RULES) throw new ClaimMappingError(`at most ${MAX_RULES} mapping rules`);
  const valid = rules.map((rule, index) => validateRule(rule, `rule ${index + 1}`));
  // One name is one principal, whose groups each exchange sets: two rules giving the same name
  // different groups would let a token of the weaker rule change what a credential of the
  // stronger one may reach (and back).
  for (const [index, rule] of valid.entries()) {
    const earlier = valid.findIndex((other) => other.identity === rule.identity);
    if (earlier < index && !sameGroups(valid[earlier]!.groups, rule.groups)) {
      throw new ClaimMappingError(
        `rules ${earlier + 1} and ${index + 1} map to the same identity template with different groups; ` +
          'give them different identity names (e.g. add the claim that tells them apart)',
      );
    }
  }
  return valid;
}

function sameGroups(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((group, i) => group === [...b].sort()[i]);
}

function validateRule(rule: ClaimMappingRule, where: string): ClaimMappingRule {
  // A rule without conditions would map every token the issuer signs, for any repository or
  // namespace: never what an administrator means.
  if (rule.conditions.length === 0) throw new ClaimMappingError(`${where}: at least one condition is required`);
  if (rule.conditions.length > MAX_CONDITIONS) {
    throw new ClaimMappingError(`${where}: at most ${MAX_CONDITIONS} conditions`);
  }
  const conditions = rule.conditions.map((condition) => validateCondition(condition, where));
  templatePaths(rule.identity, `${where}: identity`);
  // A name that starts with a claim lets the issuer choose its prefix, and so another rule's names.
  if (rule.identity.startsWith('{')) {
    throw new ClaimMappingError(`${where}: identity needs a literal prefix (e.g. "gha:{repository}")`);
  }
  if (rule.groups.length > MAX_GROUPS) throw new ClaimMappingError(`${where}: at most ${MAX_GROUPS} groups`);
  const groups = [...new Set(rule.groups)];
  for (const group of groups) {
    const paths = templatePaths(group, `${where}: group`);
    if (paths.length === 0 && !GROUP_NAME.test(group)) {
      throw new ClaimMappingError(`${where}: group ${JSON.stringify(group.slice(0, 40))} is not a valid group name`);
    }
  }
  return { conditions, identity: rule.identity, groups };
}

function validateCondition(condition: ClaimCondition, where: string): ClaimCondition {
  const kinds = (['equals', 'glob', 'oneOf'] as const).filter((kind) => kind in condition);
  if (kinds.length !== 1) {
    throw new ClaimMappingError(`${where}: a condition has exactly one of equals, glob, oneOf`);
  }
  checkPath(condition.claim, where);
  if ('equals' in condition) {
    checkPattern(condition.equals, where);
    return { claim: condition.claim, equals: condition.equals };
  }
  if ('glob' in condition) {
    checkPattern(condition.glob, where);
    if (/^\**$/.test(condition.glob)) {
      throw new ClaimMappingError(`${where}: glob "${condition.glob}" matches everything; pin the claim`);
    }
    return { claim: condition.claim, glob: condition.glob };
  }
  if (condition.oneOf.length === 0 || condition.oneOf.length > MAX_ONE_OF) {
    throw new ClaimMappingError(`${where}: oneOf lists 1 to ${MAX_ONE_OF} values`);
  }
  for (const value of condition.oneOf) checkPattern(value, where);
  return { claim: condition.claim, oneOf: [...new Set(condition.oneOf)] };
}

function checkPath(path: string, where: string): void {
  if (!CLAIM_PATH.test(path) || path.split('.').some((segment) => segment.length === 0)) {
    throw new ClaimMappingError(`${where}: ${JSON.stringify(path.slice(0, 40))} is not a claim name or dotted path`);
  }
}

function checkPattern(value: string, where: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PATTERN) {
    throw new ClaimMappingError(`${where}: condition values are 1 to ${MAX_PATTERN} characters`);
  }
}

/** The claim paths a template names; throws on unbalanced braces or a bad path. */
function templatePaths(template: string, where: string): string[] {
  if (typeof template !== 'string' || template.length === 0 || template.length > MAX_PATTERN) {
    throw new ClaimMappingError(`${where}: template is 1 to ${MAX_PATTERN} characters`);
  }
  const paths = [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) {
    throw new ClaimMappingError(`${where}: unbalanced "{" or "}" in ${JSON.stringify(template.slice(0, 60))}`);
  }
  for (const path of paths) checkPath(path, where);
  return paths;
}

/**
 * The identity the first matching rule gives these claims, or every rule's reason for not
 * matching (for the audit log: reasons quote claim names and the rule's patterns, never values
 * of claims that were not asked for).
 */
export function mapClaims(claims: Readonly<Record<string, unknown>>, rules: readonly ClaimMappingRule[]): ClaimMapping {
  const reasons: string[] = [];
  for (const [index, rule] of rules.entries()) {
    const outcome = applyRule(claims, rule);
    if (typeof outcome === 'string') {
      reasons.push(`rule ${index + 1}: ${outcome}`);
      continue;
    }
    return { matched: true, rule: index, ...outcome };
  }
  return { matched: false, reasons: reasons.length > 0 ? reasons : ['no mapping rules'] };
}

function applyRule(
  claims: Readonly<Record<string, unknown>>,
  rule: ClaimMappingRule,
): string | { identity: string; groups: string[]; claims: Record<string, string> } {
  if (rule.conditions.length === 0) return 'rule has no conditions';
  const used: Record<string, string> = {};
  for (const condition of rule.conditions) {
    const value = claimValue(claims, condition.claim);
    if (value === undefined) return `claim "${condition.claim}" is missing or not a string`;
    if (!conditionHolds(condition, value)) return `claim "${condition.claim}" ${describeCondition(condition)}`;
    used[condition.claim] = value;
  }
  const identity = render(rule.identity, claims, used);
  if (typeof identity !== 'string') return identity.error;
  if (!MACHINE_IDENTITY_NAME.test(identity)) return 'the identity rendered from the claims is not a valid name';
  const groups: string[] = [];
  for (const template of rule.groups) {
    const group = render(template, claims, used);
    if (typeof group !== 'string') return group.error;
    if (!GROUP_NAME.test(group)) return 'a group rendered from the claims is not a valid group name';
    if (!groups.includes(group)) groups.push(group);
  }
  return { identity, groups: groups.sort(), claims: used };
}

function render(
  template: string,
  claims: Readonly<Record<string, unknown>>,
  used: Record<string, string>,
): string | { error: string } {
  let missing: string | undefined;
  const rendered = template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = used[path] ?? claimValue(claims, path);
    if (value === undefined) {
      missing ??= path;
      return '';
    }
    used[path] = value;
    return value;
  });
  return missing === undefined
    ? rendered
    : { error: `claim "${missing}" named by a template is missing or not a string` };
}

function conditionHolds(condition: ClaimCondition, value: string): boolean {
  if ('equals' in condition) return value === condition.equals;
  if ('oneOf' in condition) return condition.oneOf.includes(value);
  return matchGlob(condition.glob, value);
}

function describeCondition(condition: ClaimCondition): string {
  if ('equals' in condition) return `is not ${JSON.stringify(condition.equals)}`;
  if ('oneOf' in condition) return `is none of ${JSON.stringify(condition.oneOf)}`;
  return `does not match ${JSON.stringify(condition.glob)}`;
}

type GlobItem = string | typeof ONE_SEGMENT | typeof ANY;
const ONE_SEGMENT = Symbol('*');
const ANY = Symbol('**');

/**
 * Whether `value` matches `glob`: `*` any run of characters but `/`, `**` any run at all, every
 * other character itself. Dynamic programming over (pattern, value), O(pattern × value) whatever
 * the pattern: no regular expression, so no pattern can make a token's claim backtrack for long.
 */
export function matchGlob(glob: string, value: string): boolean {
  const items: GlobItem[] = [];
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '*' && glob[i + 1] === '*') {
      items.push(ANY);
      i++;
    } else {
      items.push(glob[i] === '*' ? ONE_SEGMENT : glob[i]!);
    }
  }
  // row[j]: the first j items match the value read so far (two rows, swapped per character).
  let row = new Uint8Array(items.length + 1);
  let next = new Uint8Array(items.length + 1);
  row[0] = 1;
  for (let j = 1; j <= items.length; j++) row[j] = row[j - 1]! & (typeof items[j - 1] === 'symbol' ? 1 : 0);
  for (const char of value) {
    next[0] = 0;
    for (let j = 1; j <= items.length; j++) {
      const item = items[j - 1]!;
      if (item === ANY) next[j] = next[j - 1]! | row[j]!;
      else if (item === ONE_SEGMENT) next[j] = next[j - 1]! | (char !== '/' ? row[j]! : 0);
      else next[j] = char === item ? row[j - 1]! : 0;
    }
    [row, next] = [next, row];
  }
  return row[items.length] === 1;
}

/**
 * A claim by name or dotted path, as a string. A claim whose own name holds dots (Kubernetes'
 * `kubernetes.io`) is found: at each level the longest key that the path spells is tried first.
 * Strings are returned as they are, finite numbers and booleans as their text; anything else
 * (absent, null, objects, arrays) is undefined, so it never matches.
 */
export function claimValue(claims: Readonly<Record<string, unknown>>, path: string): string | undefined {
  const value = lookup(claims, path.split('.'));
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function lookup(value: unknown, segments: string[]): unknown {
  if (segments.length === 0) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (let take = segments.length; take >= 1; take--) {
    const key = segments.slice(0, take).join('.');
    if (!Object.hasOwn(record, key)) continue;
    const found = lookup(record[key], segments.slice(take));
    if (found !== undefined) return found;
  }
  return undefined;
}
