import {
  compileCommandPolicy,
  compileMaskingRules,
  parseCommandMatch,
  type CompiledMaskingRule,
} from '@postern/policy';
import { HTTP_DIALECT, httpAnalyser } from '@postern/policy-http';
import { ruleInputs } from '../../policy/rule-inputs.js';
import type { CompiledRules, DialectRules, EngineContext, RuleCompileOptions, SessionRules } from '../engine.js';

/** What an HTTP session is governed by: request rules, and the masking rules for JSON bodies. */
export interface HttpSessionRules extends SessionRules {
  /** Masking rules that apply to this principal on this connection (null: none). */
  masking: readonly CompiledMaskingRule[] | null;
  hashKey: Buffer;
}

/**
 * The snapshot's `http` rules: guardrails and approval rules on the request analyser, masking
 * rules by JSON key path and detectors. A rule that does not load becomes its fail-closed
 * stand-in (a command rule matching every request, a masking rule redacting every value).
 */
export function compileHttpRules(rules: DialectRules, options: RuleCompileOptions): CompiledRules<HttpSessionRules> {
  const { guardrails, approvals, masking, problems } = ruleInputs(rules, (body) =>
    parseCommandMatch(HTTP_DIALECT, body),
  );
  const statements = compileCommandPolicy(httpAnalyser(), guardrails, approvals);
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

export type HttpContext = EngineContext<HttpSessionRules>;
