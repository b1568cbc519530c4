import { TokenRejectedError } from './errors.js';

/** Who presented a token, as established by a verified token or an introspection answer. */
export interface VerifiedIdentity {
  /** `sub`; for a service token without one, its client id. */
  subject: string;
  issuer: string;
  /** The configured audience the token was accepted for. */
  audience: string;
  expiresAt: Date;
  notBefore?: Date;
  /** From the configured groups claim; empty when the token carries none. */
  groups: string[];
  /** `client_id`, or `azp` when the issuer uses that instead. */
  clientId?: string;
  email?: string;
  name?: string;
  kind: 'user' | 'service';
  /** Every claim, for callers that need one this type does not name. */
  claims: Readonly<Record<string, unknown>>;
}

export interface IdentityContext {
  issuer: string;
  audiences: readonly string[];
  groupsClaim: string;
}

export function identityFromClaims(claims: Record<string, unknown>, context: IdentityContext): VerifiedIdentity {
  const clientId = stringClaim(claims.client_id) ?? stringClaim(claims.azp);
  const kind = identityKind(claims, clientId);
  const subject = stringClaim(claims.sub) ?? (kind === 'service' ? clientId : undefined);
  if (subject === undefined) throw new TokenRejectedError('missing_claim', 'token has no "sub" claim');
  const expiresAt = dateClaim(claims.exp);
  if (expiresAt === undefined) throw new TokenRejectedError('missing_claim', 'token has no "exp" claim');
  const notBefore = dateClaim(claims.nbf);
  const email = stringClaim(claims.email);
  const name = stringClaim(claims.name);
  return {
    subject,
    issuer: context.issuer,
    audience: matchedAudience(claims.aud, context.audiences),
    expiresAt,
    ...(notBefore && { notBefore }),
    groups: readGroups(claims, context.groupsClaim),
    ...(clientId !== undefined && { clientId }),
    ...(email !== undefined && { email }),
    ...(name !== undefined && { name }),
    kind,
    claims,
  };
}

/**
 * A token is a service's when no person stands behind it. Issuers say so differently:
 * - `gty: client-credentials` (Auth0) or `client_credentials`;
 * - `idtyp: app` (Microsoft Entra ID app-only tokens);
 * - no `sub` at all, only a client id;
 * - `sub` equal to the client id (RFC 9068 §2.2 for client-credentials grants; `oidc-provider`,
 *   Keycloak with `client_id`).
 * Every other token is a user's.
 */
export function identityKind(claims: Record<string, unknown>, clientId: string | undefined): 'user' | 'service' {
  if (claims.gty === 'client-credentials' || claims.gty === 'client_credentials') return 'service';
  if (claims.idtyp === 'app') return 'service';
  const sub = stringClaim(claims.sub);
  if (sub === undefined) return 'service';
  return clientId !== undefined && sub === clientId ? 'service' : 'user';
}

/**
 * Group names from a claim given by name or by dotted path (`realm_access.roles` in Keycloak).
 * A claim whose own name contains dots (Auth0's `https://example.com/groups`) is found first.
 */
export function readGroups(claims: Record<string, unknown>, claimPath: string): string[] {
  const value = Object.hasOwn(claims, claimPath) ? claims[claimPath] : readPath(claims, claimPath.split('.'));
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((group): group is string => typeof group === 'string' && group.length > 0))];
}

function readPath(value: unknown, path: string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function matchedAudience(aud: unknown, audiences: readonly string[]): string {
  const presented = Array.isArray(aud) ? aud : [aud];
  const match = audiences.find((audience) => presented.includes(audience));
  if (match === undefined) throw new TokenRejectedError('wrong_audience', 'token audience is not accepted');
  return match;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function dateClaim(value: unknown): Date | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? new Date(value * 1000) : undefined;
}

/**
 * The names a principal may log in with where a protocol asks for a user name beside the
 * credential (PostgreSQL's `user`): its e-mail address and its IdP subject (a machine's client id
 * when it has no subject). One contract for the agent and the relay, so both refuse the same names.
 */
export function loginNames(principal: { subject: string; email?: string | undefined }): string[] {
  const names = [principal.subject];
  if (principal.email) names.push(principal.email);
  return [...new Set(names)];
}

/** Whether `presented` names the principal: e-mail addresses case-insensitively, subjects exactly. */
export function matchesLoginName(presented: string, names: readonly string[]): boolean {
  return names.some(
    (name) => name === presented || (name.includes('@') && name.toLowerCase() === presented.toLowerCase()),
  );
}
