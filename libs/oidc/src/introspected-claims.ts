import { quote, TokenRejectedError } from './errors.js';
import { isoTime } from './jwt-verification.js';

export interface IntrospectedClaimChecks {
  issuer: string;
  audiences: readonly string[];
  clockToleranceSeconds: number;
  requiredClaims: readonly string[];
  now: () => number;
}

/**
 * Checks an active introspection answer as a JWT's claims would be checked. `iss` is optional in
 * RFC 7662 and the endpoint is the issuer's own, so it is compared only when present; `aud` is
 * required, because "active" alone does not say the token was meant for us.
 */
export function checkIntrospectedClaims(claims: Record<string, unknown>, checks: IntrospectedClaimChecks): void {
  for (const claim of new Set([...checks.requiredClaims, 'aud'])) {
    if (claims[claim] === undefined) {
      throw new TokenRejectedError('missing_claim', `introspected token has no "${claim}" claim`);
    }
  }
  if (claims.iss !== undefined && claims.iss !== checks.issuer) {
    throw new TokenRejectedError(
      'wrong_issuer',
      `introspected token issuer ${quote(claims.iss)} is not the configured issuer ${quote(checks.issuer)}`,
    );
  }
  const presented = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!checks.audiences.some((audience) => presented.includes(audience))) {
    throw new TokenRejectedError(
      'wrong_audience',
      `introspected token audience ${quote(claims.aud)} contains none of ${checks.audiences.map((a) => quote(a)).join(', ')}`,
    );
  }
  const nowSeconds = checks.now() / 1000;
  const tolerance = checks.clockToleranceSeconds;
  const exp = numericDate(claims, 'exp');
  if (exp !== undefined && exp <= nowSeconds - tolerance) {
    throw new TokenRejectedError('expired', `token expired at ${isoTime(exp)}`);
  }
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > nowSeconds + tolerance) {
    throw new TokenRejectedError('not_yet_valid', `token is not valid before ${isoTime(nbf)}`);
  }
  const iat = numericDate(claims, 'iat');
  if (iat !== undefined && iat > nowSeconds + tolerance) {
    throw new TokenRejectedError('not_yet_valid', `token was issued in the future (${isoTime(iat)})`);
  }
}

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TokenRejectedError('malformed', `introspected token claim "${claim}" is not a number`);
  }
  return value;
}
