import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'agent-credential';

/**
 * Keeps the long-lived agent credential in the state directory, readable by the agent's user
 * only (directory 0700, file 0600), written atomically so a crash never leaves half a secret.
 */
export class CredentialStore {
  constructor(private readonly dir: string) {}

  async read(): Promise<string | null> {
    try {
      const value = (await readFile(join(this.dir, FILE), 'utf8')).trim();
      return value.length > 0 ? value : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async write(credential: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const temporary = join(this.dir, `.${FILE}.${process.pid}.tmp`);
    await writeFile(temporary, `${credential}\n`, { mode: 0o600 });
    await rename(temporary, join(this.dir, FILE));
  }

  get path(): string {
    return join(this.dir, FILE);
  }
}
