import { Injectable } from '@nestjs/common';
import { loginNames, matchesLoginName, TokenRejectedError } from '@postern/oidc';
import { parseSecret, secretMatches, sshKeyFingerprint, type ParsedSecret } from '@postern/contracts';
import { DataPlaneTokenVerifier } from '../identity/token-verifier.js';
import { AccessRepository, type CredentialForLogin } from './access.repository.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Why a database login was refused; `detail` is for the operator's log, never the client. */
export type LoginRefusal = {
  ok: false;
  reason: 'invalid_credential' | 'expired_credential' | 'no_access' | 'user_mismatch';
  detail: string;
  loginNames?: string[];
};

export type LoginVerdict = { ok: true; principalId: string } | LoginRefusal;

/**
 * Decides at the relay, before any tunnel to an agent is asked for, whether a database login
 * (user name + password) may reach a connection: the same checks the agent makes — a connection
 * credential of this connection, or a data-plane OIDC token (never an API token) — with the name
 * the client gave matching the principal, and an access rule or grant for the connection. An
 * agent is never asked to open a tunnel, and so never sees a password, for a principal without
 * access to one of its connections. The agent checks everything again.
 */
@Injectable()
export class DataPlaneLogins {
  constructor(
    private readonly repository: AccessRepository,
    private readonly tokens: DataPlaneTokenVerifier,
  ) {}

  /** `connectionId` null: the name is unknown; the answer is the one an existing connection gives. */
  async check(connectionId: string | null, user: string, password: string, now = new Date()): Promise<LoginVerdict> {
    const credential = parseSecret('conn', password);
    if (credential) return this.checkCredential(connectionId, user, credential, now);
    if (JWT_SHAPE.test(password) && this.tokens.enabled) return this.checkToken(connectionId, user, password);
    return { ok: false, reason: 'invalid_credential', detail: 'neither a connection credential nor a token' };
  }

  /**
   * An SSH public key the client proved it holds (the relay verified its signature): the key must
   * be registered (the whole blob, not only its fingerprint) to an enabled user whose login name
   * the client gave, with an access rule or grant — what the agent's engine checks again.
   */
  async checkSshKey(
    connectionId: string | null,
    user: string,
    publicKey: Buffer,
    now = new Date(),
  ): Promise<LoginVerdict> {
    const found = await this.repository.sshKeyForLogin(sshKeyFingerprint(publicKey));
    if (!found || !found.publicKey.equals(publicKey) || found.user.disabledAt) {
      return { ok: false, reason: 'invalid_credential', detail: 'ssh key not registered, or its user disabled' };
    }
    return this.checkUser(connectionId, user, found.user, now);
  }

  private async checkCredential(
    connectionId: string | null,
    user: string,
    presented: ParsedSecret,
    now: Date,
  ): Promise<LoginVerdict> {
    const found = await this.repository.credentialForLogin(presented.id);
    if (!found || !secretMatches(presented.secret, found.secretHash)) {
      return { ok: false, reason: 'invalid_credential', detail: 'unknown connection credential' };
    }
    if (found.revokedAt || found.user.disabledAt || found.connectionId !== connectionId) {
      return {
        ok: false,
        reason: 'invalid_credential',
        detail: 'credential revoked, user disabled or other connection',
      };
    }
    if (found.expiresAt <= now) return { ok: false, reason: 'expired_credential', detail: 'credential expired' };
    return this.checkUser(connectionId, user, found.user, now);
  }

  /** The name the client gave is the user's, and the user has an access rule or grant. */
  private async checkUser(
    connectionId: string | null,
    user: string,
    owner: CredentialForLogin['user'],
    now: Date,
  ): Promise<LoginVerdict> {
    const names = loginNames({ subject: owner.subject, email: owner.email ?? undefined });
    if (!matchesLoginName(user, names)) return mismatch(user, names);
    const standing = await this.standing(connectionId, owner.groups);
    const granted =
      standing ||
      (connectionId !== null && (await this.repository.activeGrantExpiry(owner.id, connectionId, now)) !== null);
    return granted ? { ok: true, principalId: owner.id } : noAccess(owner.id);
  }

  private async checkToken(connectionId: string | null, user: string, token: string): Promise<LoginVerdict> {
    let identity;
    try {
      identity = await this.tokens.verify(token);
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      return {
        ok: false,
        reason: error.code === 'expired' ? 'expired_credential' : 'invalid_credential',
        detail: `token refused: ${error.message}`,
      };
    }
    const names = loginNames(identity);
    if (!matchesLoginName(user, names)) return mismatch(user, names);
    const principalId = `oidc:${identity.subject}`;
    // Like the agent: token sessions stand on access rules (grants are minted as credentials).
    return connectionId !== null && (await this.standing(connectionId, identity.groups))
      ? { ok: true, principalId }
      : noAccess(principalId);
  }

  private async standing(connectionId: string | null, groups: string[]): Promise<boolean> {
    if (connectionId === null) return false;
    const rules = await this.repository.rulesFor(connectionId);
    return rules.some((rule) => !rule.requiresApproval && rule.groups.some((g) => groups.includes(g)));
  }
}

function mismatch(user: string, names: string[]): LoginRefusal {
  return {
    ok: false,
    reason: 'user_mismatch',
    detail: `user "${user}" is not the credential's principal (${names.join(', ')})`,
    loginNames: names,
  };
}

function noAccess(principalId: string): LoginRefusal {
  return { ok: false, reason: 'no_access', detail: `principal ${principalId} has no access rule or grant` };
}
