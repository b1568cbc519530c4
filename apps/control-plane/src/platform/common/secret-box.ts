import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;

/** A sealed value that cannot be opened: tampered with, bound to another record, or another key. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/**
 * Secrets the control plane must be able to read back (an HMAC key, a Slack webhook URL), sealed
 * at rest with AES-256-GCM. Layout: `version || key id (4) || iv (12) || ciphertext || tag (16)`.
 *
 * The key is derived with HKDF-SHA256 from the configured key material and a purpose, so one
 * environment key serves several purposes with independent keys. The key id (first bytes of a
 * hash of the derived key) tells a value sealed under another key apart from a tampered one. The
 * additional data binds each value to its record (`context`, e.g. the row id): a sealed value
 * copied onto another row does not open.
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly keyId: Buffer;

  constructor(keyMaterial: Uint8Array, purpose: string) {
    if (keyMaterial.length < 32) throw new Error('SecretBox key material must be at least 32 bytes');
    this.key = Buffer.from(hkdfSync('sha256', keyMaterial, 'postern', `postern secret box v1: ${purpose}`, 32));
    this.keyId = createHash('sha256').update(this.key).digest().subarray(0, KEY_ID_BYTES);
  }

  seal(plaintext: string, context: string): Buffer<ArrayBuffer> {
    const header = Buffer.concat([Buffer.from([VERSION]), this.keyId]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.concat([header, Buffer.from(context, 'utf8')]));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
  }

  open(sealed: Uint8Array, context: string): string {
    const raw = Buffer.from(sealed);
    if (raw.length < HEADER_BYTES + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) {
      throw new SecretBoxError('not a sealed secret');
    }
    const header = raw.subarray(0, HEADER_BYTES);
    if (!header.subarray(1).equals(this.keyId)) {
      throw new SecretBoxError('sealed with another key (was POSTERN_SECRETS_ENCRYPTION_KEY changed?)');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES));
      decipher.setAAD(Buffer.concat([header, Buffer.from(context, 'utf8')]));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(HEADER_BYTES + IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed secret was altered or belongs to another record');
    }
  }
}

/**
 * The key material for secrets at rest: POSTERN_SECRETS_ENCRYPTION_KEY when set, else the
 * bootstrap admin token (every replica shares it). See docs/security-model.md for the trade-off.
 */
export function secretKeyMaterial(config: {
  secrets: { encryptionKey: Buffer | null };
  admin: { bootstrapToken: string };
}): Buffer {
  return config.secrets.encryptionKey ?? Buffer.from(config.admin.bootstrapToken, 'utf8');
}
