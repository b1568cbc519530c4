/**
 * The kinds of shell command facts a rule's `statementKinds` can name. Every simple command is a
 * COMMAND; the others mark what a guardrail usually wants to see whatever the program is.
 */
export const SHELL_KINDS = {
  /** Any simple command (its program name is in `functions`). */
  COMMAND: 'COMMAND',
  /** A shell interpreter (sh, bash, zsh…) started as a command. */
  SHELL: 'SHELL',
  /** A shell reading its script from a pipe or a process substitution: `curl … | sh`, `bash <(wget …)`. */
  PIPE_TO_SHELL: 'PIPE_TO_SHELL',
  /** A command run as another user: sudo, doas, su. */
  PRIVILEGED: 'PRIVILEGED',
  /** An output redirection to a file (`>`, `>>`, `&>`); its path is in `relations`. */
  WRITE_REDIRECT: 'WRITE_REDIRECT',
  /** Opening an interactive shell (a `shell` request), checked before the shell starts. */
  INTERACTIVE_SHELL: 'INTERACTIVE_SHELL',
  /** Opening the SFTP subsystem (sftp, and scp in its default mode). */
  SFTP: 'SFTP',
  /** A local forwarding (`ssh -L`); its destination `host:port` is in `relations`. */
  FORWARD: 'FORWARD',
} as const;

const ALIASES: Readonly<Record<string, string>> = {
  SHELL_SESSION: SHELL_KINDS.INTERACTIVE_SHELL,
  'PORT FORWARD': SHELL_KINDS.FORWARD,
  'PIPE TO SHELL': SHELL_KINDS.PIPE_TO_SHELL,
  SUDO: SHELL_KINDS.PRIVILEGED,
  REDIRECT: SHELL_KINDS.WRITE_REDIRECT,
};

const KNOWN: ReadonlySet<string> = new Set(Object.values(SHELL_KINDS));

export function canonicalShellKind(kind: string): string | null {
  const upper = kind.trim().toUpperCase().replace(/-/g, '_');
  if (KNOWN.has(upper)) return upper;
  return ALIASES[kind.trim().toUpperCase()] ?? null;
}
