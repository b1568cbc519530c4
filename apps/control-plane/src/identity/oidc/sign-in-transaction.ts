import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What the browser carries between GET /auth/login and GET /auth/callback. */
export interface SignInTransaction {
  /** Random id, consumed once at the callback so a replayed response is refused. */
  id: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Same-site path to return to after sign-in. */
  redirect: string;
  /** Unix milliseconds after which the transaction is refused. */
  expiresAt: number;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals sign-in transactions into a cookie value with AES-256-GCM: the browser can neither read
 * the PKCE verifier and nonce nor alter any field without the tag failing.
 *
 * The key is derived with HKDF-SHA256 from POSTERN_BOOTSTRAP_ADMIN_TOKEN, which every replica
 * shares, so a sign-in started on one replica completes on another. Rotating that token only
 * invalidates sign-ins in flight (at most the transaction lifetime). The token itself is never
 * used as a key: HKDF with a purpose-specific `info` gives an independent key.
 */
export class SignInTransactionSealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'postern', 'postern oidc sign-in transaction v1', 32),
    );
  }

  seal(transaction: SignInTransaction): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from([VERSION]));
    const body = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The transaction, or null when the value was tampered with, sealed with another key, or expired. */
  open(sealed: string, now = Date.now()): SignInTransaction | null {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES + 2 || raw[0] !== VERSION) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(raw.subarray(0, 1));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const json = Buffer.concat([
        decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      const transaction = JSON.parse(json) as SignInTransaction;
      return transaction.expiresAt > now ? transaction : null;
    } catch {
      return null;
    }
  }
}
