/**
 * Why a presented token was refused. Codes are stable: the agent maps them to a PostgreSQL
 * `28000` error and the control plane to an `UNAUTHENTICATED` GraphQL error, and metrics count
 * them. Messages explain the reason to an operator and never contain the token itself.
 */
export type TokenRejectionCode =
  | 'malformed'
  | 'too_large'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  | 'introspection_inactive'
  | 'introspection_unavailable'
  | 'jwks_unavailable';

export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';

  constructor(
    readonly code: TokenRejectionCode,
    message: string,
  ) {
    super(message);
  }
}

/** A verifier built with unsafe or inconsistent options; thrown by `createTokenVerifier`. */
export class OidcConfigurationError extends Error {
  override readonly name = 'OidcConfigurationError';
}

/**
 * Token claims and header values are attacker-controlled: quote them shortened and printable so
 * a crafted value can neither flood a log line nor forge one.
 */
export function quote(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return JSON.stringify(printable.length > max ? `${printable.slice(0, max)}…` : printable);
}
