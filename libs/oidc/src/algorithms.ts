import { OidcConfigurationError } from './errors.js';

/** Asymmetric JWS algorithms accepted when the operator configures none. */
export const DEFAULT_ALLOWED_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
];

/**
 * Every algorithm a verifier may be configured with. Only public-key signatures: with a shared
 * secret (HS*) anyone who can verify can also mint tokens, and an HMAC "verified" with the
 * issuer's public key is the classic key-confusion forgery. `none` means no signature at all.
 */
const ASYMMETRIC_ALGORITHMS = new Set([...DEFAULT_ALLOWED_ALGORITHMS, 'ES512', 'Ed25519']);

export function checkAllowedAlgorithms(configured: readonly string[] | undefined): readonly string[] {
  const algorithms = configured ?? DEFAULT_ALLOWED_ALGORITHMS;
  if (algorithms.length === 0) throw new OidcConfigurationError('allowedAlgorithms must not be empty');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none') {
      throw new OidcConfigurationError('allowedAlgorithms must not contain "none": unsigned tokens are never accepted');
    }
    if (/^hs/i.test(alg)) {
      throw new OidcConfigurationError(
        `allowedAlgorithms must not contain ${alg}: symmetric (HMAC) algorithms are never accepted`,
      );
    }
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) {
      throw new OidcConfigurationError(
        `allowedAlgorithms contains unknown algorithm ${JSON.stringify(alg)}; known: ${[...ASYMMETRIC_ALGORITHMS].join(', ')}`,
      );
    }
  }
  return [...new Set(algorithms)];
}
