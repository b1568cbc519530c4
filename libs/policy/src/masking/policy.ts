import { PolicySpecError } from '../errors.js';
import { compileColumnPattern } from './column-patterns.js';
import type { MaskingPolicy, MaskingRuleInput, SessionMasker } from './contract.js';
import { compileCustomRegex, customRegexProblem } from './regex-safety.js';
import { type CompiledRule, SessionRules } from './session-masker.js';

/** Shorter keys make the `hash` style guessable by whoever can hash candidate values. */
const MIN_HASH_KEY_BYTES = 16;

/**
 * Compiles masking rules once per policy version. Specs are expected to have passed
 * parseMaskingSpec; custom regexes are re-checked statically (not re-probed) before compiling,
 * so an unsafe regex can never reach the hot path.
 */
export function compileMaskingPolicy(rules: MaskingRuleInput[], options: { hashKey: Buffer }): MaskingPolicy {
  if (options.hashKey.length < MIN_HASH_KEY_BYTES) {
    throw new PolicySpecError(`the masking hash key must be at least ${MIN_HASH_KEY_BYTES} bytes`, 'hashKey');
  }
  const hashKey = Buffer.from(options.hashKey); // ours: the caller may reuse its buffer
  const compiled = rules.map(compileRule);
  return {
    forSession(connectionId: string, groups: readonly string[]): SessionMasker | null {
      const applicable = compiled.filter(
        (r) =>
          (r.connectionIds.length === 0 || r.connectionIds.includes(connectionId)) &&
          !r.exemptGroups.some((g) => groups.includes(g)),
      );
      return applicable.length === 0 ? null : new SessionRules(applicable, hashKey);
    },
  };
}

function compileRule(rule: MaskingRuleInput, index: number): CompiledRule {
  const spec = rule.spec;
  return {
    id: rule.id,
    name: rule.name,
    connectionIds: [...rule.connectionIds],
    exemptGroups: [...rule.exemptGroups],
    style: spec.style,
    columns: (spec.columns ?? []).map(compileColumnPattern),
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
