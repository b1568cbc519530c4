import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile, realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { AuditEvent } from '@postern/proto';
import { SecretUnavailableError, unreadable } from '../secrets/secret-resolver.js';
import { ReachPolicy, ReachRefusedError, type ReachSettings } from './reach-policy.js';

/** The audit kind of a refusal; in @postern/proto AGENT_AUDIT_KINDS. */
export const TARGET_REFUSED = 'target.refused';

export type PasswordLink = 'verified-tls' | 'unverified-tls' | 'plaintext';

/** What a session asks of the agent before anything leaves for a target. */
export interface SessionReach {
  /** Resolves an `env:`/`file:` reference if the agent's allow-list lets it. */
  resolveSecret(ref: string): Promise<string>;
  /** The address to dial for `host:port` (DNS asked once, then pinned), if the allow-list lets it. */
  dialTarget(host: string, port: number): Promise<string>;
  /** Throws ReachRefusedError unless a cleartext or MD5 password may go over this link. */
  revealPassword(
    target: { host: string; port: number; address: string },
    method: 'cleartext' | 'md5',
    link: PasswordLink,
  ): void;
}

/** Who asked, for the audit event of a refusal. */
export interface ReachAuditContext {
  sessionId: string;
  connection: () => { id: string; name: string } | null;
  principal: () => string | null;
}

/**
 * The agent's allow-lists applied to sessions: every refusal is thrown as ReachRefusedError (the
 * engine tells the client why) and reported as a `target.refused` audit event. The event has no
 * session id on the wire: the session was never opened, so the control plane files it under the
 * agent; the agent's session id is in its details.
 */
export class AgentReach {
  private readonly policy: ReachPolicy;

  constructor(
    settings: ReachSettings,
    private readonly report: (event: AuditEvent) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.policy = new ReachPolicy(settings);
  }

  get dialsAnything(): boolean {
    return this.policy.dialsAnything;
  }

  forSession(who: ReachAuditContext): SessionReach {
    const refused = (error: unknown, details: Record<string, unknown>): unknown => {
      if (error instanceof ReachRefusedError) this.audit(who, error, details);
      return error;
    };
    return {
      resolveSecret: async (ref) => {
        try {
          return await this.resolveSecret(ref);
        } catch (error) {
          throw refused(error, { secretRef: ref.slice(0, 200) });
        }
      },
      dialTarget: async (host, port) => {
        const address = isIP(host) !== 0 ? host : await resolveHost(host);
        try {
          this.policy.target(host, address, port);
        } catch (error) {
          throw refused(error, { target: `${host}:${port}`, address });
        }
        return address;
      },
      revealPassword: (target, method, link) => {
        if (link === 'verified-tls' || this.policy.plainPasswordAllowed(target.host, target.address, target.port))
          return;
        const error = new ReachRefusedError(
          'plain_password_not_allowed',
          `the agent does not send a ${method === 'md5' ? 'MD5' : 'cleartext'} password to ${target.host}:${target.port} ` +
            `over ${link === 'plaintext' ? 'an unencrypted link' : 'TLS it has not verified'}: use tls mode verify-full ` +
            '(or SCRAM), or list the target in POSTERN_AGENT_PLAIN_PASSWORD_TARGETS',
        );
        throw refused(error, { target: `${target.host}:${target.port}`, address: target.address, method, link });
      },
    };
  }

  private async resolveSecret(ref: string): Promise<string> {
    const allowed = this.policy.secret(ref);
    if (allowed.kind === 'env') {
      const value = this.env[allowed.name];
      if (value === undefined || value === '')
        throw new SecretUnavailableError(`environment variable ${allowed.name} is not set on the agent`);
      return value;
    }
    // Read afresh for every session, links resolved each time: a file rewritten in place or a
    // `..data` link swapped (Vault Agent, Kubernetes Secret volumes, the Secrets Store CSI driver)
    // applies to the next session, and one that is gone or unreadable fails it closed.
    let real: string;
    try {
      real = await realpath(allowed.path);
    } catch (error) {
      throw unreadable(allowed.path, error);
    }
    // A link (or a parent link) into the agent's own files is refused like the file itself.
    this.policy.file(real, ref, allowed.path);
    let value: string;
    try {
      value = (await readFile(real, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw unreadable(allowed.path, error);
    }
    // An empty file is a writer caught mid-way (or a broken sink), never a password.
    if (value === '') throw new SecretUnavailableError(`secret file ${allowed.path} is empty`);
    return value;
  }

  private audit(who: ReachAuditContext, error: ReachRefusedError, details: Record<string, unknown>): void {
    const connection = who.connection();
    this.report({
      eventId: randomUUID(),
      sessionId: '',
      at: { unixMs: String(Date.now()) },
      kind: TARGET_REFUSED,
      decision: 'refused',
      ruleId: '',
      policyVersion: '',
      detailsJson: JSON.stringify({
        reason: error.refusal,
        message: error.message,
        sessionId: who.sessionId,
        connectionId: connection?.id ?? null,
        connection: connection?.name ?? null,
        principal: who.principal(),
        ...details,
      }),
    });
  }
}

async function resolveHost(host: string): Promise<string> {
  const { address } = await lookup(host, { verbatim: true });
  return address;
}
