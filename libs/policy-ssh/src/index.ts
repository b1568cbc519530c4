/*
 * @postern/policy-ssh: SSH's side of the policy — exec command lines analysed with tree-sitter's
 * bash grammar as a command dialect (`ssh`) of libs/policy's rule model.
 */
export { analyzeShell, channelRequest, MAX_COMMAND_LENGTH, type ShellCommandFacts } from './analyze.js';
export { ShellAnalysisCache, shellAnalyser } from './cache.js';
export { SHELL_NAMES, SSH_DIALECT } from './dialect.js';
export { canonicalShellKind, SHELL_KINDS } from './kinds.js';
export { initShellParser } from './parser.js';
