import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { discoverJwksUri } from './discovery.js';
import { quote, TokenRejectedError } from './errors.js';
import { safeEmitter, type OidcEventListener } from './events.js';
import { describeError } from './http.js';
import { identityFromClaims, type VerifiedIdentity } from './identity.js';
import { checkIntrospectedClaims } from './introspected-claims.js';
import { IntrospectionClient } from './introspection.js';
import { JwksCache, staticKeys, type KeyResolver } from './jwks-cache.js';
import { verifySignedJwt } from './jwt-verification.js';
import { resolveOptions, type ResolvedOptions, type TokenVerifierOptions } from './options.js';
import { classifyToken } from './token-shape.js';

export interface TokenVerifier {
  /** The identity a token proves, or a `TokenRejectedError` saying why it proves none. */
  verify(token: string): Promise<VerifiedIdentity>;
}

/** Builds a verifier for one issuer; throws `OidcConfigurationError` on unsafe options. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const resolved = resolveOptions(options);
  const emit = safeEmitter(options.onEvent);
  const keys = keySource(resolved, emit);
  const introspection =
    resolved.introspection &&
    new IntrospectionClient(resolved.introspection, {
      fetch: resolved.fetch,
      now: resolved.now,
      timeoutMs: resolved.httpTimeoutMs,
      emit,
    });
  const identityContext = {
    issuer: resolved.issuer,
    audiences: resolved.audiences,
    groupsClaim: resolved.groupsClaim,
  };

  async function verifyJwt(token: string, header: ProtectedHeaderParameters, unverified: JWTPayload) {
    if (header.alg === undefined || !resolved.algorithms.includes(header.alg)) {
      throw new TokenRejectedError(
        'algorithm_not_allowed',
        `token algorithm ${quote(header.alg, 16)} is not one of ${resolved.algorithms.join(', ')}`,
      );
    }
    // Tokens from another issuer are refused before they can make us fetch or refresh keys.
    if (unverified.iss === undefined) throw new TokenRejectedError('missing_claim', 'token has no "iss" claim');
    if (unverified.iss !== resolved.issuer) {
      throw new TokenRejectedError(
        'wrong_issuer',
        `token issuer ${quote(unverified.iss)} is not the configured issuer ${quote(resolved.issuer)}`,
      );
    }
    const current = await keys.current();
    try {
      return await verifySignedJwt(token, current.getKey, resolved);
    } catch (error) {
      if (!(error instanceof TokenRejectedError) || error.code !== 'unknown_key') throw error;
      // The issuer may have rotated its keys since we fetched them.
      const refreshed = await keys.refreshForUnknownKey();
      if (!refreshed) throw error;
      return verifySignedJwt(token, refreshed.getKey, resolved);
    }
  }

  async function verifyOpaque(token: string) {
    if (!introspection) {
      throw new TokenRejectedError('malformed', 'token is not a JWT and no introspection endpoint is configured');
    }
    const claims = await introspection.introspect(token);
    checkIntrospectedClaims(claims, resolved);
    return claims;
  }

  return {
    async verify(token) {
      try {
        const shape = classifyToken(token, resolved.maxTokenBytes);
        const claims =
          shape.kind === 'jwt'
            ? await verifyJwt(token, shape.header, shape.unverifiedClaims)
            : await verifyOpaque(token);
        return identityFromClaims(claims, identityContext);
      } catch (error) {
        // An unexpected error fails closed; its message is not passed on, it might quote input.
        const rejection =
          error instanceof TokenRejectedError
            ? error
            : new TokenRejectedError('bad_signature', 'token could not be verified (unexpected error)');
        emit({ type: 'token_rejected', code: rejection.code });
        throw rejection;
      }
    },
  };
}

/** Where signing keys come from: fixed keys from configuration, or the issuer's JWKS. */
interface KeySource {
  current(): Promise<KeyResolver>;
  refreshForUnknownKey(): Promise<KeyResolver | undefined>;
}

function keySource(options: ResolvedOptions, emit: OidcEventListener): KeySource {
  if (options.jwks) {
    const fixed = staticKeys(options.jwks);
    return { current: async () => fixed, refreshForUnknownKey: async () => undefined };
  }
  let jwksUri = options.jwksUri;
  return new JwksCache({
    fetch: options.fetch,
    now: options.now,
    cacheMs: options.jwksCacheMs,
    minRefreshMs: options.minRefreshMs,
    timeoutMs: options.httpTimeoutMs,
    emit,
    resolveUri: async () => {
      if (jwksUri) return jwksUri;
      try {
        jwksUri = await discoverJwksUri(options.fetch, options.issuer, options.httpTimeoutMs);
        return jwksUri;
      } catch (error) {
        emit({ type: 'discovery_failed', issuer: options.issuer, reason: describeError(error) });
        throw error;
      }
    },
  });
}
