/*
 * The optional identity assertion: a short-lived JWT naming the caller, added as a request header
 * for upstreams that want to know who called (and can verify it with the agent's public key, or
 * the shared secret for HS256). Claims: `iss` (the agent's issuer name), `sub` (the principal id),
 * `name`, `groups`, `kind`, `aud` (the connection's url origin), `postern_connection`,
 * `postern_session`, `iat`, `exp` (`iat` + ttl), `jti`. Signed with jose.
 */
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import { resolveSecret } from '../../secrets/secret-resolver.js';
import type { Principal } from '../engine.js';

export interface AssertionSettings {
  /** Header the assertion is sent in (lower case). */
  header: string;
  alg: 'ES256' | 'RS256' | 'EdDSA' | 'HS256';
  /** `env:`/`file:` reference: a PKCS#8 PEM private key, or the HS256 secret (at least 32 bytes). */
  keyRef: string;
  ttlSeconds: number;
  issuer: string;
}

export class AssertionSigner {
  private key: Promise<CryptoKey | Uint8Array> | null = null;

  constructor(readonly settings: AssertionSettings) {}

  private loadKey(): Promise<CryptoKey | Uint8Array> {
    this.key ??= resolveSecret(this.settings.keyRef).then((material): Promise<CryptoKey | Uint8Array> | Uint8Array => {
      if (this.settings.alg === 'HS256') {
        const bytes = new TextEncoder().encode(material);
        if (bytes.length < 32) throw new Error('the HS256 assertion secret must be at least 32 bytes');
        return bytes;
      }
      return importPKCS8(material, this.settings.alg);
    });
    // A key that failed to load is retried at the next call rather than cached as failed.
    this.key.catch(() => (this.key = null));
    return this.key;
  }

  async sign(principal: Principal, audience: string, connection: string, sessionId: string): Promise<string> {
    const key = await this.loadKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      name: principal.displayName,
      groups: principal.groups,
      kind: principal.kind,
      postern_connection: connection,
      postern_session: sessionId,
    })
      .setProtectedHeader({ alg: this.settings.alg, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setSubject(principal.id)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + this.settings.ttlSeconds)
      .setJti(randomUUID())
      .sign(key);
  }
}
