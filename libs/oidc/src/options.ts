import type { JSONWebKeySet } from 'jose';
import { checkAllowedAlgorithms } from './algorithms.js';
import { isHttpUrl } from './discovery.js';
import { OidcConfigurationError } from './errors.js';
import type { OidcEventListener } from './events.js';
import type { FetchLike } from './http.js';
import type { IntrospectionOptions } from './introspection.js';

export interface TokenVerifierOptions {
  /** Compared exactly with the token's `iss` (and with the discovery document's `issuer`). */
  issuer: string;
  /** The token's `aud` must contain at least one of these. */
  audiences: readonly string[];
  /** Asymmetric algorithms only; `none` and `HS*` throw here. */
  allowedAlgorithms?: readonly string[];
  clockToleranceSeconds?: number;
  /** Claim name or dotted path (`realm_access.roles`); default `groups`. */
  groupsClaim?: string;
  /** Where the signing keys are; default: `jwks_uri` from `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  /** Fixed keys, for agents that cannot reach the IdP and receive its keys in their policy. */
  jwks?: JSONWebKeySet;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  jwksCacheSeconds?: number;
  /** An unknown `kid` refreshes the JWKS at most this often. */
  minRefreshIntervalSeconds?: number;
  maxTokenBytes?: number;
  /** Default `['exp', 'iat', 'sub']`; `exp` is always required, a session must end with its token. */
  requiredClaims?: readonly string[];
  /** For opaque (non-JWT) tokens only. */
  introspection?: IntrospectionOptions;
  /** Per request to the IdP; default 5000. */
  httpTimeoutMs?: number;
  onEvent?: OidcEventListener;
}

export interface ResolvedOptions {
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  groupsClaim: string;
  jwksUri: string | undefined;
  jwks: JSONWebKeySet | undefined;
  fetch: FetchLike;
  now: () => number;
  jwksCacheMs: number;
  minRefreshMs: number;
  maxTokenBytes: number;
  requiredClaims: readonly string[];
  introspection: IntrospectionOptions | undefined;
  httpTimeoutMs: number;
}

/** Validates options once, at construction, so a misconfigured verifier never starts. */
export function resolveOptions(options: TokenVerifierOptions): ResolvedOptions {
  if (!isHttpUrl(options.issuer)) throw new OidcConfigurationError('issuer must be an http(s) URL');
  if (options.audiences.length === 0 || options.audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw new OidcConfigurationError('audiences must list at least one non-empty audience');
  }
  if (options.jwks && options.jwksUri) {
    throw new OidcConfigurationError('give either jwks (static keys) or jwksUri, not both');
  }
  if (options.jwksUri !== undefined && !isHttpUrl(options.jwksUri)) {
    throw new OidcConfigurationError('jwksUri must be an http(s) URL');
  }
  if (options.introspection) checkIntrospection(options.introspection);
  const fetch = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (!fetch && !options.jwks) throw new OidcConfigurationError('no fetch function available');
  return {
    issuer: options.issuer,
    audiences: [...options.audiences],
    algorithms: checkAllowedAlgorithms(options.allowedAlgorithms),
    clockToleranceSeconds: seconds('clockToleranceSeconds', options.clockToleranceSeconds, 30),
    groupsClaim: options.groupsClaim ?? 'groups',
    jwksUri: options.jwksUri,
    jwks: options.jwks,
    fetch: fetch ?? unavailableFetch,
    now: options.now ?? Date.now,
    jwksCacheMs: seconds('jwksCacheSeconds', options.jwksCacheSeconds, 600) * 1000,
    minRefreshMs: seconds('minRefreshIntervalSeconds', options.minRefreshIntervalSeconds, 30) * 1000,
    maxTokenBytes: positive('maxTokenBytes', options.maxTokenBytes, 16 * 1024),
    requiredClaims: [...new Set([...(options.requiredClaims ?? ['exp', 'iat', 'sub']), 'exp'])],
    introspection: options.introspection,
    httpTimeoutMs: positive('httpTimeoutMs', options.httpTimeoutMs, 5000),
  };
}

function checkIntrospection(introspection: IntrospectionOptions): void {
  if (!isHttpUrl(introspection.endpoint)) {
    throw new OidcConfigurationError('introspection.endpoint must be an http(s) URL');
  }
  if (!introspection.clientId) throw new OidcConfigurationError('introspection.clientId is required');
}

function seconds(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < 0) throw new OidcConfigurationError(`${name} must be a number >= 0`);
  return resolved;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) throw new OidcConfigurationError(`${name} must be a number > 0`);
  return resolved;
}

const unavailableFetch: FetchLike = () => Promise.reject(new Error('no fetch function available'));
