import {
  createTokenVerifier,
  loginNames,
  matchesLoginName,
  TokenRejectedError,
  type TokenVerifier,
  type TokenVerifierOptions,
} from '@postern/oidc';
import type { PolicySnapshot__Output } from '@postern/proto';
import { parseSecret, secretMatches, sshKeyFingerprint, type ParsedSecret } from '@postern/contracts';
import type { AuthenticationResult, ClientProof, Principal, ResolvedConnection } from '../engines/engine.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/**
 * Allowance for clock skew between the IdP and this agent, applied alike when a token is
 * admitted and when the session it opened is ended at the token's expiry.
 */
export const TOKEN_CLOCK_TOLERANCE_SECONDS = 5;

/** What admitted a session; re-checked on every policy change and as time passes. */
export type Grant = (
  | { kind: 'credential'; credentialId: string; connectionId: string; principalId: string }
  | { kind: 'token'; expiresAt: number; groups: string[]; connectionId: string; principalId: string }
  | { kind: 'ssh-key'; keyId: string; connectionId: string; principalId: string }
) & {
  /** End of the session by the access rules' maximum session length (ms since epoch), if any. */
  sessionDeadline: number | null;
};

export type Admission = (AuthenticationResult & { ok: false }) | { ok: true; principal: Principal; grant: Grant };

type Verdict = { ok: true } | { ok: false; reason: string };
type Credential = PolicySnapshot__Output['credentials'][number];
type SshKey = PolicySnapshot__Output['sshKeys'][number];

const INVALID = { ok: false, reason: 'invalid_credential', message: 'password authentication failed' } as const;

/**
 * Decides, from the pushed policy alone, whether a presented password admits a principal to a
 * connection. Two kinds of password:
 * - a Postern connection credential (minted for one user and one connection): its hash is in the
 *   snapshot, it is unexpired, and an access rule of the connection names one of its principal's
 *   groups;
 * - an OIDC access token (people via the CLI, machines via client credentials): verified with the
 *   IdP keys the control plane pushed (signature, issuer, audience, expiry, algorithm allow-list),
 *   its groups claim matched against the connection's access rules. The session ends when the
 *   token expires.
 */
export class Authenticator {
  private verifier: { key: string; verifier: TokenVerifier } | null = null;
  /** Credentials by id, built once per pushed snapshot (live sessions are re-checked in bulk). */
  private readonly credentialIndex = new WeakMap<PolicySnapshot__Output, Map<string, Credential>>();
  /** SSH keys by id and by fingerprint, built once per pushed snapshot. */
  private readonly sshKeyIndex = new WeakMap<
    PolicySnapshot__Output,
    { byId: Map<string, SshKey>; byFingerprint: Map<string, SshKey> }
  >();

  constructor(private readonly policy: () => PolicySnapshot__Output | null) {}

  /**
   * `user` is the name the client gave (PostgreSQL's `user`): it must be one of the principal's
   * login names (e-mail or IdP subject), so a session is never recorded under a name other than
   * the one its credential belongs to. null: the protocol carries a bearer credential and no user
   * name (HTTP, Kubernetes), so the credential's own principal is the user.
   */
  async authenticate(
    connection: ResolvedConnection,
    user: string | null,
    password: string | ClientProof,
    now = Date.now(),
  ): Promise<Admission> {
    const snapshot = this.policy();
    if (!snapshot) return INVALID;
    let admission: Admission & { loginNames?: string[] };
    const credential = typeof password === 'string' ? parseSecret('conn', password) : null;
    if (typeof password !== 'string') admission = this.admitSshKey(snapshot, connection, password.publicKey, now);
    else if (credential) admission = this.admitCredential(snapshot, connection, credential, now);
    else if (JWT_SHAPE.test(password) && snapshot.identity)
      admission = await this.admitToken(snapshot, connection, password);
    else return INVALID;
    if (!admission.ok) return admission;
    // A principal without login names (a control plane older than this agent) matches no name: fail closed.
    const { loginNames: names = [], ...admitted } = admission;
    if (user !== null && !matchesLoginName(user, names)) {
      return {
        ok: false,
        reason: 'user_mismatch',
        message: `user "${user}" is not the credential's principal (${names.join(', ') || 'no login name'})`,
        loginNames: names,
      };
    }
    // The name a target that knows people by name (Kubernetes impersonation) is told: the
    // e-mail address when there is one, else the IdP subject.
    const loginName = names.at(-1);
    return loginName === undefined ? admitted : { ...admitted, principal: { ...admitted.principal, loginName } };
  }

  /**
   * Whether an SSH client offering this public key (before it proves it holds the private half)
   * would be admitted as `user` to the connection: a registered key of a principal with that login
   * name and access. Lets the SSH engine answer a key query honestly without opening a session.
   */
  knowsSshKey(connection: ResolvedConnection, user: string, publicKey: Buffer, now = Date.now()): boolean {
    const snapshot = this.policy();
    if (!snapshot) return false;
    const admission = this.admitSshKey(snapshot, connection, publicKey, now);
    return admission.ok && matchesLoginName(user, admission.loginNames ?? []);
  }

  /**
   * The operations each rule or grant admitting this session allows now, one list per rule or
   * grant (what an operation name means, and what an empty or foreign list means, is the engine's).
   */
  operations(grant: Grant, now = Date.now()): string[][] {
    const snapshot = this.policy();
    if (!snapshot) return [];
    const groups = this.grantGroups(snapshot, grant);
    const lists = snapshot.accessRules
      .filter(
        (rule) =>
          rule.connectionId === grant.connectionId &&
          !rule.requiresApproval &&
          rule.groups.some((g) => groups.includes(g)),
      )
      .map((rule) => rule.operations);
    for (const g of snapshot.grants) {
      if (
        g.principalId === grant.principalId &&
        g.connectionId === grant.connectionId &&
        Number(g.expiresAt?.unixMs ?? 0) > now
      )
        lists.push(g.operations);
    }
    return lists;
  }

  private grantGroups(snapshot: PolicySnapshot__Output, grant: Grant): string[] {
    if (grant.kind === 'token') return grant.groups;
    if (grant.kind === 'ssh-key') return this.sshKeys(snapshot).byId.get(grant.keyId)?.principal?.groups ?? [];
    return this.credential(snapshot, grant.credentialId)?.principal?.groups ?? [];
  }

  /** Whether a live session may go on under the current policy. */
  stillAuthorized(grant: Grant, now = Date.now()): Verdict {
    const snapshot = this.policy();
    if (!snapshot) return { ok: false, reason: 'no policy' };
    if (grant.sessionDeadline !== null && grant.sessionDeadline <= now)
      return { ok: false, reason: 'maximum session length reached' };
    if (grant.kind === 'token') {
      if (grant.expiresAt <= now) return { ok: false, reason: 'token expired' };
      if (snapshot.revokedPrincipals.some((r) => r.principalId === grant.principalId))
        return { ok: false, reason: 'identity disabled' };
      return allowed(snapshot, grant.connectionId, grant.groups, grant.principalId, now)
        ? { ok: true }
        : { ok: false, reason: 'access rule removed' };
    }
    if (grant.kind === 'ssh-key') {
      const key = this.sshKeys(snapshot).byId.get(grant.keyId);
      if (!key || key.principal?.id !== grant.principalId) return { ok: false, reason: 'ssh key removed' };
      return allowed(snapshot, grant.connectionId, key.principal.groups, grant.principalId, now)
        ? { ok: true }
        : { ok: false, reason: 'access rule removed' };
    }
    const credential = this.credential(snapshot, grant.credentialId);
    if (!credential || credential.connectionId !== grant.connectionId)
      return { ok: false, reason: 'credential revoked' };
    if (Number(credential.expiresAt?.unixMs ?? 0) <= now) return { ok: false, reason: 'credential expired' };
    const groups = credential.principal?.groups ?? [];
    return allowed(snapshot, grant.connectionId, groups, grant.principalId, now)
      ? { ok: true }
      : { ok: false, reason: 'access rule removed' };
  }

  /**
   * The earliest time the verdict on `grant` can change without a policy change (an expiry or
   * the maximum session length); between policy changes, sessions are re-checked only then.
   */
  nextCheck(grant: Grant): number {
    const snapshot = this.policy();
    let at = grant.sessionDeadline ?? Number.POSITIVE_INFINITY;
    if (grant.kind === 'token') at = Math.min(at, grant.expiresAt);
    else if (grant.kind === 'credential') {
      const credential = snapshot ? this.credential(snapshot, grant.credentialId) : undefined;
      if (credential) at = Math.min(at, Number(credential.expiresAt?.unixMs ?? 0));
    }
    for (const g of snapshot?.grants ?? []) {
      if (g.principalId === grant.principalId && g.connectionId === grant.connectionId) {
        at = Math.min(at, Number(g.expiresAt?.unixMs ?? 0));
      }
    }
    return at;
  }

  private credential(snapshot: PolicySnapshot__Output, id: string): Credential | undefined {
    let index = this.credentialIndex.get(snapshot);
    if (!index) {
      index = new Map(snapshot.credentials.map((c) => [c.id, c]));
      this.credentialIndex.set(snapshot, index);
    }
    return index.get(id);
  }

  private sshKeys(snapshot: PolicySnapshot__Output) {
    let index = this.sshKeyIndex.get(snapshot);
    if (!index) {
      const keys = snapshot.sshKeys ?? [];
      index = {
        byId: new Map(keys.map((k) => [k.id, k])),
        byFingerprint: new Map(keys.map((k) => [k.fingerprint, k])),
      };
      this.sshKeyIndex.set(snapshot, index);
    }
    return index;
  }

  /**
   * A public key the client has proven it holds (the engine verified the signature): admitted as
   * the key's principal when the key is registered (the whole blob matches, not only its
   * fingerprint) and the principal may reach the connection.
   */
  private admitSshKey(
    snapshot: PolicySnapshot__Output,
    connection: ResolvedConnection,
    publicKey: Buffer,
    now: number,
  ): Admission & { loginNames?: string[] } {
    if (connection.protocol !== 'ssh') return INVALID;
    const key = this.sshKeys(snapshot).byFingerprint.get(sshKeyFingerprint(publicKey));
    if (!key || !key.principal || !Buffer.from(key.publicKey).equals(publicKey)) return INVALID;
    const principal = key.principal;
    if (!allowed(snapshot, connection.id, principal.groups, principal.id, now)) return noAccess(connection);
    return {
      ok: true,
      loginNames: principal.loginNames,
      principal: { id: principal.id, kind: 'user', displayName: principal.displayName, groups: principal.groups },
      grant: {
        kind: 'ssh-key',
        keyId: key.id,
        connectionId: connection.id,
        principalId: principal.id,
        sessionDeadline: sessionDeadline(snapshot, connection.id, principal.groups, now),
      },
    };
  }

  private admitCredential(
    snapshot: PolicySnapshot__Output,
    connection: ResolvedConnection,
    presented: ParsedSecret,
    now: number,
  ): Admission & { loginNames?: string[] } {
    const credential = this.credential(snapshot, presented.id);
    if (!credential || !secretMatches(presented.secret, credential.secretHash)) return INVALID;
    if (credential.connectionId !== connection.id || !credential.principal) return INVALID;
    if (Number(credential.expiresAt?.unixMs ?? 0) <= now) {
      return { ok: false, reason: 'expired_credential', message: 'credential expired: mint a new one' };
    }
    const principal = credential.principal;
    if (!allowed(snapshot, connection.id, principal.groups, principal.id, now)) return noAccess(connection);
    return {
      ok: true,
      loginNames: principal.loginNames,
      principal: {
        id: principal.id,
        kind: principal.kind === 'KIND_SERVICE' ? 'service' : 'user',
        displayName: principal.displayName,
        groups: principal.groups,
      },
      grant: {
        kind: 'credential',
        credentialId: credential.id,
        connectionId: connection.id,
        principalId: principal.id,
        sessionDeadline: sessionDeadline(snapshot, connection.id, principal.groups, now),
      },
    };
  }

  private async admitToken(
    snapshot: PolicySnapshot__Output,
    connection: ResolvedConnection,
    token: string,
  ): Promise<Admission & { loginNames?: string[] }> {
    let identity;
    try {
      identity = await this.verifierFor(snapshot).verify(token);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        const reason = error.code === 'expired' ? 'expired_credential' : 'invalid_credential';
        return { ok: false, reason, message: `token refused: ${error.message}` };
      }
      return INVALID;
    }
    // A token for the API is never a database password, even when it also names our audience.
    const aud = identity.claims['aud'];
    const refused = snapshot.identity!.refusedAudiences;
    if ((Array.isArray(aud) ? aud : [aud]).some((a) => typeof a === 'string' && refused.includes(a))) {
      return { ok: false, reason: 'invalid_credential', message: 'token refused: it is an API token (audience)' };
    }
    // The control plane keys people and machines by issuer and subject; so does the session record.
    const principalId = `oidc:${identity.subject}`;
    if (snapshot.revokedPrincipals.some((r) => r.principalId === principalId)) {
      return { ok: false, reason: 'invalid_credential', message: 'identity disabled in Postern' };
    }
    if (!allowed(snapshot, connection.id, identity.groups, principalId, Date.now())) return noAccess(connection);
    return {
      ok: true,
      loginNames: loginNames(identity),
      principal: {
        id: principalId,
        kind: identity.kind,
        displayName: identity.email ?? identity.name ?? identity.clientId ?? identity.subject,
        groups: identity.groups,
      },
      grant: {
        kind: 'token',
        expiresAt: identity.expiresAt.getTime() + TOKEN_CLOCK_TOLERANCE_SECONDS * 1000,
        groups: identity.groups,
        connectionId: connection.id,
        principalId,
        sessionDeadline: sessionDeadline(snapshot, connection.id, identity.groups, Date.now()),
      },
    };
  }

  /** One verifier per set of identity settings; rebuilt when the control plane pushes new keys. */
  private verifierFor(snapshot: PolicySnapshot__Output): TokenVerifier {
    const identity = snapshot.identity!;
    const key = JSON.stringify(identity);
    if (this.verifier?.key !== key) {
      this.verifier = {
        key,
        verifier: createTokenVerifier({
          issuer: identity.issuer,
          audiences: identity.audiences,
          jwks: JSON.parse(identity.jwksJson) as TokenVerifierOptions['jwks'],
          groupsClaim: identity.groupsClaim || 'groups',
          clockToleranceSeconds: TOKEN_CLOCK_TOLERANCE_SECONDS,
          ...(identity.allowedAlgorithms.length > 0 ? { allowedAlgorithms: identity.allowedAlgorithms } : {}),
        }),
      };
    }
    return this.verifier.verifier;
  }
}

/**
 * Standing access (a rule without approval naming one of the groups) or an unexpired
 * just-in-time grant of this principal. Rules that require approval admit no one by themselves.
 */
function allowed(
  snapshot: PolicySnapshot__Output,
  connectionId: string,
  groups: string[],
  principalId: string,
  now: number,
): boolean {
  const standing = snapshot.accessRules.some(
    (rule) =>
      rule.connectionId === connectionId && !rule.requiresApproval && rule.groups.some((g) => groups.includes(g)),
  );
  return (
    standing ||
    snapshot.grants.some(
      (g) => g.principalId === principalId && g.connectionId === connectionId && Number(g.expiresAt?.unixMs ?? 0) > now,
    )
  );
}

/**
 * When a session admitted now must end by the rules' maximum session length: the most generous
 * of the rules that admit these groups (a rule without a limit means no limit).
 */
function sessionDeadline(
  snapshot: PolicySnapshot__Output,
  connectionId: string,
  groups: string[],
  now: number,
): number | null {
  const limits = snapshot.accessRules
    .filter((rule) => rule.connectionId === connectionId && rule.groups.some((g) => groups.includes(g)))
    .map((rule) => rule.maxSessionSeconds);
  if (limits.length === 0 || limits.some((seconds) => !seconds)) return null;
  return now + Math.max(...limits) * 1000;
}

function noAccess(connection: ResolvedConnection): Admission {
  return { ok: false, reason: 'no_access', message: `no access to connection "${connection.name}"` };
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
  const mode = (tlsModes as readonly string[]).includes(c.tlsMode)
    ? (c.tlsMode as ResolvedConnection['target']['tls']['mode'])
    : 'verify-full';
  return {
    id: c.id,
    name: c.name,
    protocol: c.protocol,
    target: {
      host: c.targetHost,
      port: c.targetPort,
      user: c.targetUser,
      secretRef: c.secretRef,
      tls: { mode, caRef: c.tlsCaRef || null },
      // The snapshot's own field for the database is kept for older control planes' snapshots.
      settings: c.targetDatabase ? { ...c.settings, database: c.targetDatabase } : { ...c.settings },
    },
    // Unknown or unset: strict, the fail-closed reading.
    recordingMode: c.recordingMode === 'best-effort' ? 'best-effort' : 'strict',
  };
}
