/*
 * Masking rules compiled once per policy version, for any protocol: patterns and regexes ready,
 * the hash key checked, rules picked per session. A protocol's masker (PostgreSQL DataRow/COPY in
 * libs/policy-postgres) plans its results with the rules `forSession` returns.
 */
import { PolicySpecError } from '../errors.js';
import { type ColumnMatcher, compileColumnPattern } from './column-patterns.js';
import type { ColumnSource, DetectorName, MaskingRuleInput, MaskingStyle } from './contract.js';
import { compileCustomRegex, customRegexProblem } from './regex-safety.js';

/** Shorter keys make the `hash` style guessable by whoever can hash candidate values. */
const MIN_HASH_KEY_BYTES = 16;

/** A rule as compiled once per policy: patterns and regexes ready, spec validated. */
export interface CompiledMaskingRule {
  id: string;
  name: string;
  connectionIds: readonly string[];
  exemptGroups: readonly string[];
  style: MaskingStyle;
  columns: readonly ColumnMatcher[];
  detectors: readonly DetectorName[];
  customPatterns: readonly { name: string; regex: RegExp }[];
}

export interface MaskingRuleSet {
  /** A private copy of the key the `hash` style uses (at least 16 bytes). */
  readonly hashKey: Buffer;
  /** The rules that apply to this principal on this connection; null when none does. */
  forSession(connectionId: string, groups: readonly string[]): readonly CompiledMaskingRule[] | null;
}

export interface MaskingRuleOptions {
  hashKey: Buffer;
  /** The dialect's catalog relations, which one-part column patterns leave alone in lineage. */
  isSystemRelation?: (source: ColumnSource) => boolean;
}

/**
 * Compiles masking rules. Specs are expected to have passed parseMaskingSpec; custom regexes are
 * re-checked statically (not re-probed) before compiling, so an unsafe regex can never reach the
 * hot path. Throws PolicySpecError for a short hash key or an unsafe regex.
 */
export function compileMaskingRules(rules: MaskingRuleInput[], options: MaskingRuleOptions): MaskingRuleSet {
  if (options.hashKey.length < MIN_HASH_KEY_BYTES) {
    throw new PolicySpecError(`the masking hash key must be at least ${MIN_HASH_KEY_BYTES} bytes`, 'hashKey');
  }
  const hashKey = Buffer.from(options.hashKey); // ours: the caller may reuse its buffer
  const compiled = rules.map((rule, index) => compileRule(rule, index, options.isSystemRelation));
  return {
    hashKey,
    forSession(connectionId, groups) {
      const applicable = compiled.filter(
        (r) =>
          (r.connectionIds.length === 0 || r.connectionIds.includes(connectionId)) &&
          !r.exemptGroups.some((g) => groups.includes(g)),
      );
      return applicable.length === 0 ? null : applicable;
    },
  };
}

function compileRule(
  rule: MaskingRuleInput,
  index: number,
  isSystemRelation: MaskingRuleOptions['isSystemRelation'],
): CompiledMaskingRule {
  const spec = rule.spec;
  return {
    id: rule.id,
    name: rule.name,
    connectionIds: [...rule.connectionIds],
    exemptGroups: [...rule.exemptGroups],
    style: spec.style,
    columns: (spec.columns ?? []).map((pattern) => compileColumnPattern(pattern, isSystemRelation)),
    detectors: [...new Set(spec.detectors ?? [])],
    customPatterns: (spec.customPatterns ?? []).map((p, k) => {
      const problem = customRegexProblem(p.regex, { probe: false });
      if (problem !== null) {
        throw new PolicySpecError(
          `rule ${rule.name}: regex ${problem}`,
          `rules[${index}].spec.customPatterns[${k}].regex`,
        );
      }
      return { name: p.name, regex: compileCustomRegex(p.regex) };
    }),
  };
}
