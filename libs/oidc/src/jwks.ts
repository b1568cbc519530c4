import type { JSONWebKeySet, JWK } from 'jose';
import { isRecord } from './http.js';

const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
/** JWK members that only private or symmetric keys carry. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * Keeps the public signing keys of a JWKS document. Symmetric (`oct`) keys are dropped so that
 * no HMAC key can ever reach the verifier, whatever the algorithm allow-list says; keys meant
 * for encryption (`use: enc`) and keys with private members are dropped too.
 */
export function publicSigningKeys(document: unknown): JSONWebKeySet {
  if (!isRecord(document) || !Array.isArray(document.keys)) {
    throw new Error('JWKS document is not an object with a "keys" array');
  }
  const keys = document.keys.filter(
    (key): key is JWK =>
      isRecord(key) &&
      typeof key.kty === 'string' &&
      PUBLIC_KEY_TYPES.has(key.kty) &&
      (key.use === undefined || key.use === 'sig') &&
      SECRET_MEMBERS.every((member) => !(member in key)),
  );
  return { keys };
}
