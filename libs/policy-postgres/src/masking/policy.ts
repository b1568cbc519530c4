import { compileMaskingRules, type MaskingRuleInput } from '@postern/policy';
import type { MaskingPolicy, SessionMasker } from './contract.js';
import { isSystemRelation } from './system-relations.js';
import { SessionRules } from './session-masker.js';

/**
 * Compiles masking rules once per policy version (libs/policy validates and compiles the rules;
 * this plans PostgreSQL results with them). Throws PolicySpecError for a hash key under 16 bytes
 * or an unsafe custom regex.
 */
export function compileMaskingPolicy(rules: MaskingRuleInput[], options: { hashKey: Buffer }): MaskingPolicy {
  const ruleSet = compileMaskingRules(rules, { hashKey: options.hashKey, isSystemRelation });
  return {
    forSession(connectionId: string, groups: readonly string[]): SessionMasker | null {
      const applicable = ruleSet.forSession(connectionId, groups);
      return applicable === null ? null : new SessionRules(applicable, ruleSet.hashKey);
    },
  };
}
