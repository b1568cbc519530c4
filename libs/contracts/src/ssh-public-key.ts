import { createHash } from 'node:crypto';

/**
 * SSH user public keys as Postern accepts them: one copy of the format shared by the control
 * plane (which validates a key when a user registers it) and the agent (which looks up the key a
 * client offers by its fingerprint). Hand-written because it is a few lines of RFC 4253 §6.6
 * wire reading and both sides must agree byte for byte; ssh2's parser is not a dependency of the
 * control plane and does not report RSA modulus sizes.
 */

/** Algorithms a registered key may use; RSA only with a modulus of at least 3072 bits. */
export const SSH_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
] as const;
export type SshKeyAlgorithm = (typeof SSH_KEY_ALGORITHMS)[number];

export const SSH_RSA_MIN_BITS = 3072;
/** An authorized_keys line longer than this is refused before any decoding (RSA 16384 fits). */
export const SSH_PUBLIC_KEY_MAX_LENGTH = 4096;

export interface SshPublicKey {
  algorithm: SshKeyAlgorithm;
  /** The key blob in SSH wire format (what a client sends in a publickey request). */
  blob: Buffer;
  /** `SHA256:` + unpadded base64 of sha256(blob), as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** Key size in bits (RSA modulus, ECDSA curve, 256 for Ed25519). */
  bits: number;
  /** The comment after the key, if any (at most 200 characters kept). */
  comment: string;
}

export class SshPublicKeyError extends Error {}

/** The fingerprint of a key blob, in OpenSSH's SHA256 form. */
export function sshKeyFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses one `authorized_keys`-style line (`<algorithm> <base64> [comment]`); throws SshPublicKeyError. */
export function parseSshPublicKey(line: string): SshPublicKey {
  const text = line.trim();
  if (text.length === 0) throw new SshPublicKeyError('the public key is empty');
  if (text.length > SSH_PUBLIC_KEY_MAX_LENGTH)
    throw new SshPublicKeyError(`the public key is longer than ${SSH_PUBLIC_KEY_MAX_LENGTH} characters`);
  if (text.includes('PRIVATE KEY')) throw new SshPublicKeyError('this is a private key: give the .pub file');
  const [type = '', data = '', ...rest] = text.split(/\s+/);
  if (!(SSH_KEY_ALGORITHMS as readonly string[]).includes(type))
    throw new SshPublicKeyError(
      `key type "${type.slice(0, 40)}" is not accepted (${SSH_KEY_ALGORITHMS.join(', ')}; RSA from ${SSH_RSA_MIN_BITS} bits)`,
    );
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new SshPublicKeyError('the key data is not base64');
  const blob = Buffer.from(data, 'base64');
  const algorithm = type as SshKeyAlgorithm;
  const bits = keyBits(algorithm, blob);
  return { algorithm, blob, fingerprint: sshKeyFingerprint(blob), bits, comment: rest.join(' ').slice(0, 200) };
}

/** Reads the blob's fields (checking they match the named algorithm) and returns the key size. */
function keyBits(algorithm: SshKeyAlgorithm, blob: Buffer): number {
  const reader = new WireReader(blob);
  const inner = reader.string().toString('latin1');
  if (inner !== algorithm) throw new SshPublicKeyError(`the key data says "${inner.slice(0, 40)}", not "${algorithm}"`);
  let bits: number;
  if (algorithm === 'ssh-ed25519') {
    if (reader.string().length !== 32) throw new SshPublicKeyError('an Ed25519 key is 32 bytes');
    bits = 256;
  } else if (algorithm === 'ssh-rsa') {
    reader.string(); // public exponent
    const modulus = reader.string();
    let start = 0;
    while (start < modulus.length && modulus[start] === 0) start += 1;
    const significant = modulus.length - start;
    bits = significant === 0 ? 0 : (significant - 1) * 8 + (32 - Math.clz32(modulus[start]!));
    if (bits < SSH_RSA_MIN_BITS)
      throw new SshPublicKeyError(`RSA keys need at least ${SSH_RSA_MIN_BITS} bits (this one has ${bits})`);
  } else {
    const curve = algorithm.slice('ecdsa-sha2-'.length);
    if (reader.string().toString('latin1') !== curve) throw new SshPublicKeyError('the ECDSA curve does not match');
    const point = reader.string();
    if (point[0] !== 0x04) throw new SshPublicKeyError('the ECDSA point is not uncompressed');
    bits = Number(curve.slice('nistp'.length));
  }
  if (!reader.done()) throw new SshPublicKeyError('the key data has trailing bytes');
  return bits;
}

/** RFC 4251 §5 wire reading: strings (uint32 length + bytes) and single bytes; throws SshPublicKeyError. */
export class WireReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  string(): Buffer {
    if (this.offset + 4 > this.buffer.length) throw new SshPublicKeyError('the key data is truncated');
    const length = this.buffer.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (length > this.buffer.length - start) throw new SshPublicKeyError('the key data is truncated');
    this.offset = start + length;
    return this.buffer.subarray(start, this.offset);
  }

  byte(): number {
    if (this.offset >= this.buffer.length) throw new SshPublicKeyError('the key data is truncated');
    return this.buffer[this.offset++]!;
  }

  done(): boolean {
    return this.offset === this.buffer.length;
  }
}
