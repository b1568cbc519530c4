import type { CommandDialect, NameSyntax, QualifiedName } from '@postern/policy';
import { canonicalShellKind } from './kinds.js';

/** A program name or path as a rule writes it: `rm`, `/usr/bin/curl`, `mkfs.*`, `/etc/*`. */
const PATTERN = /^[^\s"'`$;&|<>(){}\\]+$/;

/**
 * Names in shell rules are program names (`functions`) and paths (`relations`): one part each
 * (dots and slashes are part of the name), matched as written (case-sensitive), `*` a wildcard.
 */
export const SHELL_NAMES: NameSyntax = {
  splitPattern: (text) => (PATTERN.test(text) ? [{ value: text, quoted: false }] : null),
  isValidUnquotedPart: (part) => PATTERN.test(part),
  fold: (identifier) => identifier,
  display: (name: QualifiedName) => name.name,
};

const VIA_TEXT: Readonly<Record<string, string>> = {
  'sh -c': 'a shell command string (sh -c)',
  eval: 'eval',
  'command substitution': 'a command substitution $(…)',
  'process substitution': 'a process substitution <(…)',
};

export const SSH_DIALECT: CommandDialect = {
  name: 'ssh',
  canonicalKind: canonicalShellKind,
  names: SHELL_NAMES,
  describeVia: (via) => VIA_TEXT[via] ?? via,
};
