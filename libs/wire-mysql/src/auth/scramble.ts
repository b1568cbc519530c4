// The password answers of the auth plugins a gateway needs as a client (and, for
// mysql_native_password, the check a server makes). Pure functions over node:crypto.
import { constants, createHash, publicEncrypt, timingSafeEqual } from 'node:crypto';

function hash(algorithm: 'sha1' | 'sha256', ...parts: Uint8Array[]): Buffer {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return h.digest();
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

function bytesOf(password: string | Uint8Array): Uint8Array {
  return typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
}

/** mysql_native_password: SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))); empty for an empty password. */
export function nativePassword(password: string | Uint8Array, nonce: Uint8Array): Buffer {
  const bytes = bytesOf(password);
  if (bytes.length === 0) return Buffer.alloc(0);
  const stage1 = hash('sha1', bytes);
  return xor(stage1, hash('sha1', nonce, hash('sha1', stage1)));
}

/** SHA1(SHA1(password)): what the server stores (`'*' + hex` in mysql.user). */
export function nativePasswordHash(password: string | Uint8Array): Buffer {
  return hash('sha1', hash('sha1', bytesOf(password)));
}

/** The server's check of a mysql_native_password scramble against the stored double SHA-1. */
export function verifyNativePassword(scramble: Uint8Array, nonce: Uint8Array, storedHash: Uint8Array): boolean {
  if (scramble.length !== 20 || storedHash.length !== 20) return false;
  const stage1 = xor(scramble, hash('sha1', nonce, storedHash));
  return timingSafeEqual(hash('sha1', stage1), storedHash);
}

/**
 * caching_sha2_password's fast-auth answer: SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce);
 * empty for an empty password.
 */
export function cachingSha2Password(password: string | Uint8Array, nonce: Uint8Array): Buffer {
  const bytes = bytesOf(password);
  if (bytes.length === 0) return Buffer.alloc(0);
  const stage1 = hash('sha256', bytes);
  return xor(stage1, hash('sha256', hash('sha256', stage1), nonce));
}

/**
 * Full authentication without TLS (caching_sha2_password and sha256_password): the password and a
 * NUL, XORed with the nonce, encrypted with the server's RSA public key (PEM, from AuthMoreData or
 * configuration) using RSA-OAEP (MySQL 8.0.5 and later).
 */
export function rsaEncryptPassword(
  password: string | Uint8Array,
  nonce: Uint8Array,
  publicKeyPem: string | Buffer,
): Buffer {
  const bytes = bytesOf(password);
  const plain = Buffer.concat([bytes, Buffer.from([0])]);
  return publicEncrypt(
    { key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    xor(plain, nonce),
  );
}

/** mysql_clear_password (and full authentication over TLS): the password and a NUL. */
export function clearPassword(password: string | Uint8Array): Buffer {
  return Buffer.concat([bytesOf(password), Buffer.from([0])]);
}
