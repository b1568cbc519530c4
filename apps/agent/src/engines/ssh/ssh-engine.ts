import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import type { Logger } from '@postern/logging';
import { SSH_DIALECT } from '@postern/policy-ssh';
import type { CompiledRules, DialectRules, ProtocolEngine } from '../engine.js';
import type { HostKey } from './host-key.js';
import { UsedSessionIds } from './relayed-key.js';
import { compileSshRules, type SshContext, type SshSessionRules } from './rules.js';
import { SshSession, type SshSessionSettings } from './session.js';

export type SshEngineOptions = Partial<SshSessionSettings> & {
  hostKey: HostKey;
  logger?: Logger;
  /** Ciphers offered to clients (default CLIENT_CIPHERS; bench/ssh.mjs --compare-ciphers offers AES-GCM only). */
  ciphers?: readonly ssh2.CipherAlgorithm[];
};

const DEFAULTS: SshSessionSettings = {
  authTimeoutMs: 30_000,
  targetConnectTimeoutMs: 10_000,
  maxAuthAttempts: 3,
  recordingMaxBytes: 16 * 1024 * 1024,
  closeGraceMs: 500,
};

/**
 * The SSH engine: an SSH server for clients (the agent's own host key, the Postern credential as
 * the password, the connection named in the login), an SSH client to the target (the
 * connection's key or password, its pinned host key), and the channels relayed between them
 * under the `ssh` command rules. One instance serves every SSH session of the agent.
 */
export class SshEngine implements ProtocolEngine<SshSessionRules> {
  readonly protocol = 'ssh';
  readonly dialect = SSH_DIALECT.name;
  readonly hostKey: HostKey;
  private readonly settings: SshSessionSettings;
  private readonly logger: Logger | undefined;
  private readonly ciphers: readonly ssh2.CipherAlgorithm[] | undefined;
  /** Relayed key proofs already used, across this engine's sessions (relayed-key.ts). */
  private readonly usedProofs = new UsedSessionIds();

  constructor(options: SshEngineOptions) {
    const settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof SshSessionSettings)[]) {
      const value = options[key];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0)
        throw new RangeError(`${key} must be a non-negative integer, got ${value}`);
      settings[key] = value;
    }
    this.settings = settings;
    this.hostKey = options.hostKey;
    this.logger = options.logger;
    this.ciphers = options.ciphers;
  }

  compileRules(rules: DialectRules): CompiledRules<SshSessionRules> {
    return compileSshRules(rules);
  }

  serve(client: Duplex, context: SshContext): Promise<void> {
    return new SshSession(client, context, this.settings, this.hostKey, this.usedProofs, this.ciphers)
      .run()
      .catch((error: unknown) => {
        (this.logger ?? context.logger).error({ err: error }, 'ssh session crashed');
        client.destroy();
      });
  }
}
