export { createTokenVerifier, type TokenVerifier } from './verifier.js';
export type { TokenVerifierOptions } from './options.js';
export type { VerifiedIdentity } from './identity.js';
export { TokenRejectedError, OidcConfigurationError, type TokenRejectionCode } from './errors.js';
export type { OidcEvent, OidcEventListener } from './events.js';
export type { FetchLike, FetchInit, FetchResponseLike } from './http.js';
export type { IntrospectionOptions } from './introspection.js';
export { DEFAULT_ALLOWED_ALGORITHMS } from './algorithms.js';
export { readGroups, identityKind, loginNames, matchesLoginName } from './identity.js';
export {
  mapClaims,
  validateClaimMappingRules,
  claimValue,
  ClaimMappingError,
  MACHINE_IDENTITY_NAME,
  type ClaimCondition,
  type ClaimMappingRule,
  type ClaimMapping,
} from './claim-mapping.js';
export { classifyToken } from './token-shape.js';
