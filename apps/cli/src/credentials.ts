import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError, EXIT, LOGIN_AGAIN } from './errors.js';

/** The token set `postern login` stores, and where it came from (to refresh it). */
export interface StoredCredentials {
  version: 1;
  issuer: string;
  clientId: string;
  /** Resource indicator the token was requested for, if any. */
  audience: string | null;
  /** The Postern API given at login, the default for `whoami`. */
  api: string | null;
  tokenType: string;
  accessToken: string;
  /** ISO 8601; null when the IdP did not say. */
  expiresAt: string | null;
  refreshToken: string | null;
  scope: string | null;
  /** Who signed in, from the ID token, for messages. */
  subject: string | null;
  obtainedAt: string;
}

/**
 * Writes the credentials readable by their owner only: directory 0700, file 0600, written to a
 * temporary file first and renamed, so a crash never leaves a half-written or wider-open file.
 */
export async function saveCredentials(path: string, credentials: StoredCredentials): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The stored credentials, or a CliError telling the user to sign in. */
export async function loadCredentials(path: string): Promise<{ credentials: StoredCredentials; warning?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        `not signed in (no credentials in ${path}): run \`postern login --issuer <url>\``,
        EXIT.signIn,
      );
    }
    throw error;
  }
  let credentials: StoredCredentials;
  try {
    credentials = JSON.parse(text) as StoredCredentials;
  } catch {
    throw new CliError(`${path} is not valid JSON: ${LOGIN_AGAIN}`);
  }
  if (
    credentials.version !== 1 ||
    typeof credentials.accessToken !== 'string' ||
    typeof credentials.issuer !== 'string'
  ) {
    throw new CliError(`${path} is not a Postern credentials file: ${LOGIN_AGAIN}`);
  }
  const mode = (await stat(path)).mode & 0o777;
  const warning =
    mode & 0o077 ? `${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 ${path}` : undefined;
  return { credentials, ...(warning ? { warning } : {}) };
}

export async function removeCredentials(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
