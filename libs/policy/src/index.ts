/*
 * @postern/policy: the protocol-neutral rule model. Command rules (guardrails, approval rules)
 * over the facts a protocol's analyser reports, masking rules, detectors and styles, source
 * limits. Protocol analysers and maskers live beside it (libs/policy-postgres).
 */
export * from './errors.js';
export * from './commands/index.js';
export * from './masking/index.js';
export * from './limits/source-limits.js';
export * from './limits/login-failures.js';
