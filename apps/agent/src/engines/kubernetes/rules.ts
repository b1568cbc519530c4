import {
  compileCommandPolicy,
  compileMaskingRules,
  parseCommandMatch,
  type CompiledMaskingRule,
} from '@postern/policy';
import { KUBERNETES_DIALECT, kubernetesAnalyser } from '@postern/policy-kubernetes';
import { ruleInputs } from '../../policy/rule-inputs.js';
import type { CompiledRules, DialectRules, EngineContext, RuleCompileOptions, SessionRules } from '../engine.js';

/**
 * What a Kubernetes session is governed by: request rules, and masking rules for ConfigMap
 * values and pod logs (Secret values are always masked, whatever the rules say).
 */
export interface KubernetesSessionRules extends SessionRules {
  /** Masking rules that apply to this principal on this connection (null: none). */
  masking: readonly CompiledMaskingRule[] | null;
  hashKey: Buffer;
}

/**
 * Turns the snapshot's `kubernetes` rules into request policy and masking. A rule that does not
 * load becomes its fail-closed stand-in (a request rule matching every request, a masking rule
 * redacting every value) and is named in `problems`.
 */
export function compileKubernetesRules(
  rules: DialectRules,
  options: RuleCompileOptions,
): CompiledRules<KubernetesSessionRules> {
  const { guardrails, approvals, masking, problems } = ruleInputs(rules, (body) =>
    parseCommandMatch(KUBERNETES_DIALECT, body),
  );
  const statements = compileCommandPolicy(kubernetesAnalyser(), guardrails, approvals);
  const maskingSet = compileMaskingRules(masking, { hashKey: options.hashKey });
  return {
    problems,
    forSession: (connectionId, groups) => ({
      statements: statements.forSession(connectionId, groups),
      masking: maskingSet.forSession(connectionId, groups),
      hashKey: maskingSet.hashKey,
    }),
  };
}

export type KubernetesContext = EngineContext<KubernetesSessionRules>;
