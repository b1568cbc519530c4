import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { quote, TokenRejectedError } from './errors.js';

export interface JwtChecks {
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  requiredClaims: readonly string[];
  now: () => number;
}

/**
 * Verifies a JWT's signature and registered claims with `jose`, turning its errors into
 * `TokenRejectedError`s. The algorithm list is always explicit: `jose` then refuses any other
 * `alg` before it looks for a key.
 */
export async function verifySignedJwt(token: string, getKey: JWTVerifyGetKey, checks: JwtChecks): Promise<JWTPayload> {
  const nowMs = checks.now();
  const options: JWTVerifyOptions = {
    issuer: checks.issuer,
    audience: [...checks.audiences],
    algorithms: [...checks.algorithms],
    clockTolerance: checks.clockToleranceSeconds,
    currentDate: new Date(nowMs),
    requiredClaims: [...checks.requiredClaims],
  };
  let payload: JWTPayload;
  try {
    payload = (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw rejectionFor(error, checks);
    payload = await verifyWithEachCandidate(token, error, options, checks);
  }
  // `jose` only checks `iat` against a maximum age; a token issued in the future means a wrong
  // clock or a forgery, and either way it is not valid yet.
  if (typeof payload.iat === 'number' && payload.iat > nowMs / 1000 + checks.clockToleranceSeconds) {
    throw new TokenRejectedError('not_yet_valid', `token was issued in the future (${isoTime(payload.iat)})`);
  }
  return payload;
}

/** A token without `kid` while the issuer publishes several keys of its type: try each. */
async function verifyWithEachCandidate(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
  checks: JwtChecks,
): Promise<JWTPayload> {
  for await (const key of candidates) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw rejectionFor(error, checks);
    }
  }
  throw new TokenRejectedError('bad_signature', "token signature does not match any of the issuer's keys");
}

function rejectionFor(error: unknown, checks: JwtChecks): TokenRejectedError {
  if (error instanceof TokenRejectedError) return error;
  if (error instanceof errors.JWTExpired) {
    return new TokenRejectedError('expired', `token expired at ${isoTime(error.payload.exp)}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) return claimRejection(error, checks);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new TokenRejectedError(
      'algorithm_not_allowed',
      `token algorithm is not one of ${checks.algorithms.join(', ')}`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenRejectedError('unknown_key', "token was signed with a key that is not in the issuer's key set");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRejectedError('bad_signature', "token signature does not match the issuer's key");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new TokenRejectedError('malformed', `token is not a well-formed signed JWT: ${error.message}`);
  }
  // Anything else (a key of the wrong size, an unusable JWK…) fails closed.
  return new TokenRejectedError('bad_signature', "token could not be verified with the issuer's keys");
}

function claimRejection(error: errors.JWTClaimValidationFailed, checks: JwtChecks): TokenRejectedError {
  const { claim, reason, payload } = error;
  if (reason === 'missing') return new TokenRejectedError('missing_claim', `token has no "${claim}" claim`);
  if (reason === 'invalid') return new TokenRejectedError('malformed', `token claim "${claim}" has the wrong type`);
  switch (claim) {
    case 'iss':
      return new TokenRejectedError(
        'wrong_issuer',
        `token issuer ${quote(payload.iss)} is not the configured issuer ${quote(checks.issuer)}`,
      );
    case 'aud':
      return new TokenRejectedError(
        'wrong_audience',
        `token audience ${quote(payload.aud)} contains none of ${checks.audiences.map((a) => quote(a)).join(', ')}`,
      );
    case 'nbf':
      return new TokenRejectedError('not_yet_valid', `token is not valid before ${isoTime(payload.nbf)}`);
    default:
      return new TokenRejectedError('malformed', `token claim "${claim}" failed validation`);
  }
}

/** The largest instant a JavaScript Date can hold (±100,000,000 days), in seconds. */
const MAX_DATE_SECONDS = 8.64e12;

export function isoTime(seconds: unknown): string {
  return typeof seconds === 'number' && Math.abs(seconds) < MAX_DATE_SECONDS
    ? new Date(seconds * 1000).toISOString()
    : 'an invalid time';
}
