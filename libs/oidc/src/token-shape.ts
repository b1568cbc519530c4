import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { TokenRejectedError } from './errors.js';

/**
 * A presented token, classified before any key or network work: a signed JWT (header and
 * payload decoded but NOT yet trusted) or an opaque reference token for introspection.
 */
export type TokenShape =
  { kind: 'jwt'; header: ProtectedHeaderParameters; unverifiedClaims: JWTPayload } | { kind: 'opaque' };

/** RFC 6750 `b64token`: what an opaque bearer token may contain. */
const OPAQUE_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function classifyToken(token: unknown, maxTokenBytes: number): TokenShape {
  if (typeof token !== 'string' || token.length === 0) throw malformed('token is empty or not a string');
  // Checked before any parsing so an oversized token costs us nothing but this count.
  if (Buffer.byteLength(token, 'utf8') > maxTokenBytes) {
    throw new TokenRejectedError('too_large', `token is larger than the ${maxTokenBytes}-byte limit`);
  }
  const parts = token.split('.').length;
  if (parts === 5) throw malformed('encrypted tokens (JWE) are not supported');
  if (parts === 3) return decodeJwtParts(token);
  if (OPAQUE_TOKEN.test(token)) return { kind: 'opaque' };
  throw malformed('token is neither a JWT nor an opaque bearer token');
}

function decodeJwtParts(token: string): TokenShape {
  let header: ProtectedHeaderParameters;
  let unverifiedClaims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverifiedClaims = decodeJwt(token);
  } catch {
    throw malformed('token looks like a JWT but its header or payload is not base64url-encoded JSON');
  }
  if (typeof header.alg !== 'string' || header.alg.length === 0) throw malformed('JWT header has no "alg"');
  return { kind: 'jwt', header, unverifiedClaims };
}

function malformed(message: string): TokenRejectedError {
  return new TokenRejectedError('malformed', message);
}
