/** What an SSH user name says: the Postern login and the connection, `<login>+<connection>`. */
export interface SshLoginName {
  login: string;
  connection: string;
}

/** SSH user names longer than this are not ours (OpenSSH allows 255 bytes of them too). */
const MAX_USER_NAME = 255;

/**
 * Splits `<login>+<connection>` at the last `+` (a login may contain `+`, a connection name may
 * not), the convention the agent's SSH engine reads as well — the relay logs in to the agent with
 * the very same name. Null when either part is empty, the name is too long or holds a control
 * character: such a login is refused like a wrong password.
 */
export function parseSshUser(user: string): SshLoginName | null {
  if (user.length > MAX_USER_NAME || hasControlCharacter(user)) return null;
  const at = user.lastIndexOf('+');
  if (at <= 0 || at === user.length - 1) return null;
  return { login: user.slice(0, at), connection: user.slice(at + 1) };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
