import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

/** The file in the agent's state directory holding the engine's own SSH host key (OpenSSH format). */
export const HOST_KEY_FILE = 'ssh-host-key';

export interface HostKey {
  key: ssh2.ParsedKey;
  /** `SHA256:<base64>` as `ssh-keygen -l` prints it: what clients put in known_hosts checks. */
  fingerprint: string;
  /** `ssh-ed25519 AAAA…`: the public key line for a client's known_hosts. */
  publicLine: string;
}

/**
 * The engine's own host key: read from `<stateDir>/ssh-host-key`, or generated (Ed25519) at the
 * first start and written there (directory 0700, file 0600, atomically) so clients see the same
 * key after a restart. An operator may put their own OpenSSH private key in that file instead.
 */
export function loadOrCreateHostKey(stateDir: string): HostKey {
  const path = join(stateDir, HOST_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    text = generateHostKey();
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
    const temporary = join(stateDir, `.${HOST_KEY_FILE}.${process.pid}.tmp`);
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
  }
  return parseHostKey(text, path);
}

/**
 * A new Ed25519 private key in OpenSSH format that ssh2 reads back. About 3 in 1,000 keys from
 * ssh2's own generateKeyPairSync do not parse again ("Malformed OpenSSH private key", measured
 * here with ssh2 1.17): such a key must never be written, or the agent could not start again.
 */
export function generateHostKey(): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const text = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'postern-agent' }).private;
    try {
      parseHostKey(text);
      return text;
    } catch {
      // generate another
    }
  }
  throw new Error('could not generate an SSH host key that ssh2 reads back');
}

export function parseHostKey(text: string, origin = 'host key'): HostKey {
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? (parsed[0] as ssh2.ParsedKey | undefined) : parsed;
  if (key === undefined || key instanceof Error || !key.isPrivateKey()) {
    throw new Error(`${origin}: not an unencrypted SSH private key`);
  }
  const blob = key.getPublicSSH();
  return { key, fingerprint: sshFingerprint(blob), publicLine: `${key.type} ${blob.toString('base64')}` };
}

/** OpenSSH's SHA-256 fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}
