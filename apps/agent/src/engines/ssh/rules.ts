import { compileCommandPolicy, parseCommandMatch } from '@postern/policy';
import { shellAnalyser, SSH_DIALECT } from '@postern/policy-ssh';
import { ruleInputs } from '../../policy/rule-inputs.js';
import type { CompiledRules, DialectRules, EngineContext, SessionRules } from '../engine.js';

/** What an SSH session is governed by: exec command rules on the shell analyser (no masking yet). */
export type SshSessionRules = SessionRules;

/**
 * Turns the snapshot's `ssh` rules into command policy. Masking rules are not applied to SSH
 * output (none are compiled); a guardrail or approval rule that does not load becomes its
 * fail-closed stand-in (matches every command) and is named in `problems`.
 */
export function compileSshRules(rules: DialectRules): CompiledRules<SshSessionRules> {
  const { guardrails, approvals, masking, problems } = ruleInputs(rules, (body) =>
    parseCommandMatch(SSH_DIALECT, body),
  );
  if (masking.length > 0) problems.push('masking rules are not applied to SSH sessions');
  const statements = compileCommandPolicy(shellAnalyser(), guardrails, approvals);
  return {
    problems,
    forSession: (connectionId, groups) => ({ statements: statements.forSession(connectionId, groups) }),
  };
}

/** The context an SSH session is served with. */
export type SshContext = EngineContext<SshSessionRules>;
