import { createHash } from 'node:crypto';
import type { PublishedHostKey } from './agent.types.js';

/** Host keys an agent may announce at most (one per SSH-terminating engine, with room to rotate). */
const MAX_KEYS = 4;
/** An RSA-16384 public key line stays under this; anything longer is not a host key. */
const MAX_KEY_LINE = 4_096;
const ALGORITHMS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
]);
const PROTOCOL = /^[a-z][a-z0-9]{0,31}$/;
const KEY_LINE = /^([a-z0-9-]{1,64}) ([A-Za-z0-9+/]{16,}={0,2})$/;

/** What the agent sent, before it is trusted (the proto's PublicHostKey). */
export interface AnnouncedHostKey {
  protocol: string;
  publicKey: string;
  fingerprint?: string;
}

/**
 * The host keys of a hello, checked at the edge: a known protocol name, an OpenSSH public key
 * line whose blob names the same algorithm as the line, and the fingerprint recomputed here (the
 * agent's own is not trusted). Anything else is dropped and returned in `rejected`, so a bad key
 * is never published (the relay then refuses to reach that agent over SSH).
 */
export function checkHostKeys(announced: readonly AnnouncedHostKey[]): {
  keys: PublishedHostKey[];
  rejected: string[];
} {
  const keys: PublishedHostKey[] = [];
  const rejected: string[] = [];
  for (const entry of announced.slice(0, MAX_KEYS)) {
    const key = parseHostKey(entry.protocol, entry.publicKey);
    if (typeof key === 'string') rejected.push(key);
    else keys.push(key);
  }
  if (announced.length > MAX_KEYS)
    rejected.push(`${announced.length - MAX_KEYS} host keys over the limit of ${MAX_KEYS}`);
  return { keys, rejected };
}

/** One public host key, or why it is refused. */
export function parseHostKey(protocol: string, publicKey: string): PublishedHostKey | string {
  if (!PROTOCOL.test(protocol)) return 'host key with an invalid protocol name';
  if (publicKey.length > MAX_KEY_LINE) return `${protocol} host key line too long`;
  const match = KEY_LINE.exec(publicKey.trim());
  if (!match) return `${protocol} host key is not an OpenSSH public key line`;
  const algorithm = match[1]!;
  if (!ALGORITHMS.has(algorithm)) return `${protocol} host key of unsupported algorithm ${algorithm}`;
  const blob = Buffer.from(match[2]!, 'base64');
  if (blobAlgorithm(blob) !== algorithm) return `${protocol} host key blob does not match its algorithm`;
  return { protocol, publicKey: `${algorithm} ${blob.toString('base64')}`, fingerprint: sshFingerprint(blob) };
}

/** Host keys as stored in the agents table (JSON written by the repository); malformed entries dropped. */
export function storedHostKeys(value: unknown): PublishedHostKey[] {
  if (!Array.isArray(value)) return [];
  const keys: PublishedHostKey[] = [];
  for (const entry of value as unknown[]) {
    const { protocol, publicKey } = (entry ?? {}) as Partial<Record<string, unknown>>;
    if (typeof protocol !== 'string' || typeof publicKey !== 'string') continue;
    const key = parseHostKey(protocol, publicKey);
    if (typeof key !== 'string') keys.push(key);
  }
  return keys;
}

/** OpenSSH's SHA-256 fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A known_hosts line for `hosts` (OpenSSH patterns: `[relay.example]:2222`, or an alias used with
 * HostKeyAlias), comment-free so that it is the same wherever it is printed.
 */
export function knownHostsLine(hosts: readonly string[], publicKey: string): string {
  return `${hosts.join(',')} ${publicKey}`;
}

/** The algorithm name an SSH public key blob starts with (an SSH `string`), or null. */
function blobAlgorithm(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  return blob.subarray(4, 4 + length).toString('latin1');
}
