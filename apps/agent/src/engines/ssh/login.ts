/**
 * The SSH login name carries both who the client is and which connection it wants:
 * `<postern login>+<connection>`, e.g. `alice@example.com+web01`. It is split at the last `+`
 * (a login name may hold one, as e-mail addresses do; connection names never do), so it works
 * with plain `ssh -l 'alice@example.com+web01' host` and `ssh alice@example.com+web01@host`
 * (OpenSSH splits user and host at the last `@`).
 */
export interface SshLogin {
  /** The Postern login name (e-mail or IdP subject) the credential must belong to. */
  user: string;
  /** The connection's name. */
  connection: string;
}

export function parseLogin(username: string): SshLogin | null {
  const plus = username.lastIndexOf('+');
  if (plus <= 0 || plus === username.length - 1) return null;
  return { user: username.slice(0, plus), connection: username.slice(plus + 1) };
}
