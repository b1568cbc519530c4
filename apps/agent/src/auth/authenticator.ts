import { createHash, timingSafeEqual } from 'node:crypto';
import type { PolicySnapshot__Output } from '@postern/proto';
import type { AuthenticationResult, ResolvedConnection } from '../engines/engine.js';

const CONNECTION_CREDENTIAL = /^postern_conn_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Decides, from the pushed policy alone, whether a presented password admits a principal to a
 * connection: a Postern connection credential (minted for one user and one connection) whose
 * hash is in the snapshot, unexpired, and whose principal belongs to a group an access rule of
 * the connection names. OIDC access tokens join with the identity issue.
 */
export class Authenticator {
  constructor(private readonly policy: () => PolicySnapshot__Output | null) {}

  /** What a live session was admitted with, so it can be re-checked whenever policy changes. */
  static grantOf(result: AuthenticationResult & { credentialId?: string }): string | null {
    return result.ok ? (result.credentialId ?? null) : null;
  }

  /**
   * Whether a session admitted with `credentialId` for `connectionId` may go on: the credential
   * is still in the policy (not revoked, its user not disabled), unexpired, and an access rule
   * still names one of its principal's groups.
   */
  stillAuthorized(
    credentialId: string,
    connectionId: string,
    now = Date.now(),
  ): { ok: true } | { ok: false; reason: string } {
    const snapshot = this.policy();
    const credential = snapshot?.credentials.find((c) => c.id === credentialId);
    if (!snapshot || !credential || credential.connectionId !== connectionId)
      return { ok: false, reason: 'credential revoked' };
    if (Number(credential.expiresAt?.unixMs ?? 0) <= now) return { ok: false, reason: 'credential expired' };
    const groups = credential.principal?.groups ?? [];
    const allowed = snapshot.accessRules.some(
      (rule) => rule.connectionId === connectionId && rule.groups.some((g) => groups.includes(g)),
    );
    return allowed ? { ok: true } : { ok: false, reason: 'access rule removed' };
  }

  authenticate(
    connection: ResolvedConnection,
    password: string,
    now = Date.now(),
  ): AuthenticationResult & { credentialId?: string } {
    const snapshot = this.policy();
    const match = CONNECTION_CREDENTIAL.exec(password);
    const invalid = { ok: false, reason: 'invalid_credential', message: 'password authentication failed' } as const;
    if (!snapshot || !match) return invalid;
    const id = uuidOf(match[1]!);
    const credential = snapshot.credentials.find((c) => c.id === id);
    const presented = createHash('sha256').update(match[2]!, 'utf8').digest();
    if (!credential || credential.secretHash.length !== 32 || !timingSafeEqual(presented, credential.secretHash))
      return invalid;
    if (credential.connectionId !== connection.id) return invalid;
    if (Number(credential.expiresAt?.unixMs ?? 0) <= now) {
      return { ok: false, reason: 'expired_credential', message: 'credential expired: mint a new one' };
    }
    const principal = credential.principal;
    if (!principal) return invalid;
    const allowed = snapshot.accessRules.some(
      (rule) => rule.connectionId === connection.id && rule.groups.some((group) => principal.groups.includes(group)),
    );
    if (!allowed) {
      return { ok: false, reason: 'no_access', message: `no access to connection "${connection.name}"` };
    }
    return {
      ok: true,
      credentialId: credential.id,
      principal: {
        id: principal.id,
        kind: principal.kind === 'KIND_SERVICE' ? 'service' : 'user',
        displayName: principal.displayName,
        groups: principal.groups,
      },
    };
  }
}

/** The snapshot's connection named `name` for `protocol`, in the shape engines use. */
export function resolveConnection(
  snapshot: PolicySnapshot__Output | null,
  name: string,
  protocol: string,
): ResolvedConnection | null {
  const c = snapshot?.connections.find((x) => x.name === name && x.protocol === protocol);
  if (!c) return null;
  const tlsModes = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
  const tlsMode = (tlsModes as readonly string[]).includes(c.tlsMode)
    ? (c.tlsMode as ResolvedConnection['target']['tlsMode'])
    : 'verify-full';
  return {
    id: c.id,
    name: c.name,
    protocol: c.protocol,
    target: {
      host: c.targetHost,
      port: c.targetPort,
      database: c.targetDatabase,
      user: c.targetUser,
      secretRef: c.secretRef,
      tlsMode,
      tlsCaRef: c.tlsCaRef || null,
    },
  };
}
