import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { sshFingerprint } from '../../agents/host-keys.js';
import { ConfigError } from '../../platform/config/config.js';

/** The SSH front door's host key: the parsed private key and what clients pin. */
export interface RelayHostKey {
  key: ssh2.ParsedKey;
  /** `<algorithm> <base64>`: the public key for known_hosts. */
  publicKey: string;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  fingerprint: string;
  /** Generated at start (development): clients' known_hosts entries break at every restart. */
  ephemeral: boolean;
}

/**
 * Reads POSTERN_RELAY_SSH_HOST_KEY_FILE (an unencrypted OpenSSH or PEM private key), or, with no
 * file (allowed only with POSTERN_RELAY_INSECURE, checked by the config), generates an Ed25519 key
 * for this process. A file that cannot be read or parsed stops the control plane at boot.
 */
export function loadRelayHostKey(file: string | null): RelayHostKey {
  if (file === null) return { ...parse(generate(), 'generated key'), ephemeral: true };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`POSTERN_RELAY_SSH_HOST_KEY_FILE cannot be read: ${(error as Error).message}`]);
  }
  try {
    return { ...parse(text, file), ephemeral: false };
  } catch (error) {
    throw new ConfigError([`POSTERN_RELAY_SSH_HOST_KEY_FILE: ${(error as Error).message}`]);
  }
}

function parse(text: string, origin: string): Omit<RelayHostKey, 'ephemeral'> {
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? (parsed[0] as ssh2.ParsedKey | undefined) : parsed;
  if (key === undefined || key instanceof Error || !key.isPrivateKey()) {
    throw new Error(`${origin} is not an unencrypted SSH private key`);
  }
  const blob = key.getPublicSSH();
  return { key, publicKey: `${key.type} ${blob.toString('base64')}`, fingerprint: sshFingerprint(blob) };
}

/**
 * An Ed25519 key in OpenSSH format. A few in a thousand of ssh2's generated keys do not parse
 * back (seen with ssh2 1.17, see the agent's host-key.ts): try again rather than fail the boot.
 */
function generate(): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const text = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'postern-relay' }).private;
    try {
      parse(text, 'generated key');
      return text;
    } catch {
      // generate another
    }
  }
  throw new Error('could not generate an SSH host key that ssh2 reads back');
}
