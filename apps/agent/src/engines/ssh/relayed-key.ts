import ssh2 from 'ssh2';
import { decodeRelayedKeyProof, parseSignedUserAuth, RELAYED_KEY_PROOF_PREFIX } from '@postern/contracts';

/**
 * Session ids of relayed key proofs already used (see @postern/contracts ssh-key-proof.ts): a
 * proof logs in once. Kept in memory for `ttlMs` (lost on restart, not shared between the agents
 * of a group); past `max` entries the oldest are forgotten first.
 */
export class UsedSessionIds {
  private readonly used = new Map<string, number>();

  constructor(
    private readonly ttlMs = 24 * 3_600_000,
    private readonly max = 100_000,
  ) {}

  /** True the first time a session id is presented within the window. */
  claim(sessionId: Buffer, now = Date.now()): boolean {
    for (const [id, at] of this.used) {
      if (at + this.ttlMs > now && this.used.size < this.max) break;
      this.used.delete(id);
    }
    const id = sessionId.toString('base64');
    if (this.used.has(id)) return false;
    this.used.set(id, now);
    return true;
  }
}

/** Whether `signature` over `signed` was made by `publicKey` (ssh2 leaves this to the server). */
export function signatureValid(publicKey: Buffer, signed: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const key = ssh2.utils.parseKey(publicKey);
  if (key instanceof Error) return false;
  // The parsed key must be the offered blob itself, not a key derived from part of it.
  if (!key.getPublicSSH().equals(publicKey)) return false;
  try {
    return key.verify(signed, signature, hashAlgo as never) === true;
  } catch {
    return false;
  }
}

/**
 * A relayed public-key login (the relay's password to the engine): null when `password` is not
 * one; else the key the client proved it holds, or why the proof is refused. The signed data must
 * be a publickey request for `user` with the same key, its signature valid and its session id new.
 */
export function relayedKey(
  password: string,
  user: string,
  used: UsedSessionIds,
): { publicKey: Buffer } | { refused: string } | null {
  if (!password.startsWith(RELAYED_KEY_PROOF_PREFIX)) return null;
  const proof = decodeRelayedKeyProof(password);
  const signed = proof === null ? null : parseSignedUserAuth(proof.signed);
  if (proof === null || signed === null) return { refused: 'malformed relayed key proof' };
  if (signed.method !== 'publickey' || signed.service !== 'ssh-connection' || signed.user !== user)
    return { refused: 'the relayed key proof is for another login' };
  if (!signed.publicKey.equals(proof.publicKey)) return { refused: 'the relayed key proof names another key' };
  if (!signatureValid(proof.publicKey, proof.signed, proof.signature, proof.hashAlgo || undefined))
    return { refused: 'the public-key signature does not verify' };
  if (!used.claim(signed.sessionId)) return { refused: 'the relayed key proof was already used' };
  return { publicKey: proof.publicKey };
}
