import { SshPublicKeyError, WireReader } from './ssh-public-key.js';

/**
 * A public-key login the control plane's SSH relay passes on to the agent's SSH engine. The relay
 * terminates the client's SSH, so it cannot sign for the client on its own connection to the
 * agent; instead it hands over what the client signed on the relay's connection (RFC 4252 §7: the
 * relay's session id, the user name, the key), as the password of its login to the agent. The
 * agent verifies the signature itself, checks the user name and key inside the signed data, refuses
 * a session id it has seen (replay), then admits the key like a key offered to it directly — the
 * same registered-key and access checks. Only accepted on relay data connections.
 */
export const RELAYED_KEY_PROOF_PREFIX = 'postern_sshkey_proof.';

export interface RelayedKeyProof {
  /** The key blob in SSH wire format. */
  publicKey: Buffer;
  /** The data the client signed (RFC 4252 §7), as the relay's SSH server built it. */
  signed: Buffer;
  signature: Buffer;
  /** The hash ssh2 named for the signature (RSA's rsa-sha2-256/512), '' when the key type implies it. */
  hashAlgo: string;
}

/** What the signed data of a publickey user-auth request says. */
export interface SignedUserAuth {
  sessionId: Buffer;
  user: string;
  service: string;
  method: string;
  algorithm: string;
  publicKey: Buffer;
}

/** At most this many characters of proof are decoded (RSA 16384-bit key and signature fit). */
const MAX_PROOF_LENGTH = 16 * 1024;
const SSH_MSG_USERAUTH_REQUEST = 50;

export function encodeRelayedKeyProof(proof: RelayedKeyProof): string {
  const fields = [proof.publicKey, proof.signed, proof.signature, Buffer.from(proof.hashAlgo, 'latin1')];
  const parts = fields.flatMap((field) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(field.length);
    return [length, field];
  });
  return `${RELAYED_KEY_PROOF_PREFIX}${Buffer.concat(parts).toString('base64url')}`;
}

/** null when `text` is not a relayed key proof, or a malformed one. */
export function decodeRelayedKeyProof(text: string): RelayedKeyProof | null {
  if (!text.startsWith(RELAYED_KEY_PROOF_PREFIX) || text.length > MAX_PROOF_LENGTH) return null;
  const body = text.slice(RELAYED_KEY_PROOF_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return null;
  try {
    const reader = new WireReader(Buffer.from(body, 'base64url'));
    const proof = {
      publicKey: reader.string(),
      signed: reader.string(),
      signature: reader.string(),
      hashAlgo: reader.string().toString('latin1'),
    };
    return reader.done() ? proof : null;
  } catch (error) {
    if (error instanceof SshPublicKeyError) return null;
    throw error;
  }
}

/** Reads the signed data of a publickey user-auth request (RFC 4252 §7); null when it is not one. */
export function parseSignedUserAuth(signed: Buffer): SignedUserAuth | null {
  try {
    const reader = new WireReader(signed);
    const sessionId = reader.string();
    if (reader.byte() !== SSH_MSG_USERAUTH_REQUEST) return null;
    const user = reader.string().toString('utf8');
    const service = reader.string().toString('latin1');
    const method = reader.string().toString('latin1');
    if (reader.byte() !== 1) return null;
    const algorithm = reader.string().toString('latin1');
    const publicKey = reader.string();
    if (!reader.done() || sessionId.length === 0) return null;
    return { sessionId, user, service, method, algorithm, publicKey };
  } catch (error) {
    if (error instanceof SshPublicKeyError) return null;
    throw error;
  }
}
