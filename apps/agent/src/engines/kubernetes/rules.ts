import { compileCommandPolicy, parseCommandMatch } from '@postern/policy';
import { KUBERNETES_DIALECT, kubernetesAnalyser } from '@postern/policy-kubernetes';
import { ruleInputs } from '../../policy/rule-inputs.js';
import type { CompiledRules, DialectRules, EngineContext, SessionRules } from '../engine.js';

/** What a Kubernetes session is governed by: request rules (Secret masking is always on). */
export type KubernetesSessionRules = SessionRules;

/**
 * Turns the snapshot's `kubernetes` rules into request policy. A guardrail or approval rule that
 * does not load becomes its fail-closed stand-in (matches every request) and is named in
 * `problems`. Masking rules of this dialect are not applied yet (Secret values always are).
 */
export function compileKubernetesRules(rules: DialectRules): CompiledRules<KubernetesSessionRules> {
  const { guardrails, approvals, masking, problems } = ruleInputs(rules, (body) =>
    parseCommandMatch(KUBERNETES_DIALECT, body),
  );
  if (masking.length > 0)
    problems.push('masking rules are not applied to Kubernetes sessions (Secret values always are)');
  const statements = compileCommandPolicy(kubernetesAnalyser(), guardrails, approvals);
  return {
    problems,
    forSession: (connectionId, groups) => ({ statements: statements.forSession(connectionId, groups) }),
  };
}

export type KubernetesContext = EngineContext<KubernetesSessionRules>;
