/*
 * The protocol-neutral rule model for commands: the match language of guardrails and approval
 * rules, evaluated over the facts a protocol's analyser reports. Interfaces in ./contract.ts.
 */
export * from './contract.js';
export { MATCH_EVERY_COMMAND, parseCommandMatch, StatementMatcher, type MatchEvidence } from './match.js';
export { compileCommandPolicy, type CommandPolicyOptions } from './policy.js';
export { describeMatch } from './reason.js';
export { compilePattern, nameMatches, NamePatternSet, patternProblem, type NamePattern } from './patterns.js';
