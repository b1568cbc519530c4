import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { secretKeyMaterial } from '../platform/common/secret-box.js';
import type { ControlPlaneConfig } from '../platform/config/config.js';

/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The key that signs audit checkpoints: POSTERN_AUDIT_CHECKPOINT_KEY when set, else an Ed25519
 * key whose seed is derived with HKDF-SHA256 (label `postern-audit-checkpoint`) from the secrets
 * key material — POSTERN_SECRETS_ENCRYPTION_KEY, else the bootstrap admin token — so that every
 * replica signs with the same key and none is stored in the database.
 */
export function checkpointSigningKey(
  config: Pick<ControlPlaneConfig, 'auditCheckpoints' | 'secrets' | 'admin'>,
): KeyObject {
  if (config.auditCheckpoints.keyPem) return createPrivateKey(config.auditCheckpoints.keyPem);
  const seed = Buffer.from(hkdfSync('sha256', secretKeyMaterial(config), 'postern', 'postern-audit-checkpoint', 32));
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
}
