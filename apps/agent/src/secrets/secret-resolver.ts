import { readFile } from 'node:fs/promises';

/** A secret reference that cannot be resolved on this agent. The message never contains a secret. */
export class SecretUnavailableError extends Error {}

/**
 * Resolves `env:NAME` and `file:/path` references on the agent, where target secrets live: they
 * never travel to the control plane. Files are read on every use so rotated secrets (a Kubernetes
 * Secret volume, a Vault agent sink) apply to the next session without a restart.
 */
export async function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = env[name];
    if (value === undefined || value === '')
      throw new SecretUnavailableError(`environment variable ${name} is not set on the agent`);
    return value;
  }
  if (ref.startsWith('file:/')) {
    const path = ref.slice(5);
    try {
      return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw unreadable(path, error);
    }
  }
  throw new SecretUnavailableError('secret reference must be env:NAME or file:/path');
}

/** The error for a secret file that is gone or cannot be read: its path and errno, never content. */
export function unreadable(path: string, error: unknown): SecretUnavailableError {
  return new SecretUnavailableError(
    `secret file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
  );
}
