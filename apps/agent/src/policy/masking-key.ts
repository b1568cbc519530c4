import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSecret } from '../secrets/secret-resolver.js';

const FILE = 'masking-key';
const MIN_KEY_BYTES = 16;

/**
 * The key of the keyed-hash masking style. A configured secret reference wins (so every agent
 * of a fleet hashes alike); otherwise a random 256-bit key is created once in the state
 * directory (0600), so one agent's hashes stay stable across restarts.
 */
export async function loadMaskingKey(ref: string | null, stateDir: string): Promise<Buffer> {
  if (ref !== null) {
    const key = Buffer.from(await resolveSecret(ref), 'utf8');
    if (key.length < MIN_KEY_BYTES) throw new Error(`the masking key must be at least ${MIN_KEY_BYTES} bytes`);
    return key;
  }
  const path = join(stateDir, FILE);
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const temporary = join(stateDir, `.${FILE}.${process.pid}.tmp`);
  await writeFile(temporary, `${key.toString('hex')}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return key;
}
