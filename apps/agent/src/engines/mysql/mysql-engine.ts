import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import { MYSQL_DIALECT } from '@postern/policy-mysql';
import { BufferBudget } from '../../sessions/buffer-budget.js';
import type { CompiledRules, DialectRules, ProtocolEngine, RuleCompileOptions } from '../engine.js';
import { compileMysqlRules, type MysqlContext, type MysqlSessionRules } from './rules.js';
import { MysqlSession } from './session.js';

export interface MysqlEngineOptions {
  /** From the client's first byte until it is authenticated. Default 10 s (MySQL's connect_timeout). */
  authTimeoutMs?: number;
  /** Connecting to the target, TLS and logging in. Default 10 s. */
  targetConnectTimeoutMs?: number;
  /** Longest credential accepted as the password (OIDC tokens run to a few KiB). Default 16 KiB. */
  maxPasswordLength?: number;
  /** Largest message (16 MiB packets reassembled) from the client. Default 64 MiB (MariaDB allows up to 1 GiB). */
  maxMessageBytes?: number;
  /** How long a closing session waits for its peers to close before destroying. Default 5 s. */
  closeGraceMs?: number;
  logger?: Logger;
  /** Memory for messages being assembled, shared by every session of the agent. */
  buffers?: BufferBudget;
}

export type MysqlEngineSettings = Required<Omit<MysqlEngineOptions, 'logger' | 'buffers'>>;

const DEFAULTS: MysqlEngineSettings = {
  authTimeoutMs: 10_000,
  targetConnectTimeoutMs: 10_000,
  maxPasswordLength: 16 * 1024,
  maxMessageBytes: 64 * 1024 * 1024,
  closeGraceMs: 5_000,
};

/**
 * The MySQL/MariaDB engine: greets the client itself, takes its Postern credential as a clear
 * password (over the ingress's TLS), logs in to the target with the connection's own credential,
 * and proxies packets through the policy filter (statement rules, approvals, masking, recording).
 */
export class MysqlEngine implements ProtocolEngine<MysqlSessionRules> {
  readonly protocol = 'mysql';
  readonly dialect = MYSQL_DIALECT.name;
  private readonly settings: MysqlEngineSettings;
  private readonly logger: Logger | undefined;
  private readonly buffers: BufferBudget;
  /** Connection ids in our greetings (clients show them; they are not the target's thread ids). */
  private nextConnectionId = 1;

  constructor(options: MysqlEngineOptions = {}) {
    const settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof MysqlEngineSettings)[]) {
      const value = options[key];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value <= 0)
        throw new RangeError(`${key} must be a positive integer, got ${value}`);
      settings[key] = value;
    }
    this.settings = settings;
    this.logger = options.logger;
    this.buffers =
      options.buffers ?? new BufferBudget({ totalBytes: 256 * 1024 * 1024, perPrincipalBytes: 64 * 1024 * 1024 });
  }

  compileRules(rules: DialectRules, options: RuleCompileOptions): CompiledRules<MysqlSessionRules> {
    return compileMysqlRules(rules, options);
  }

  serve(client: Duplex, context: MysqlContext): Promise<void> {
    const connectionId = this.nextConnectionId;
    this.nextConnectionId = (this.nextConnectionId % 0x7fff_ffff) + 1;
    return new MysqlSession(client, context, this.settings, this.buffers, connectionId)
      .run()
      .catch((error: unknown) => {
        (this.logger ?? context.logger).error({ err: error }, 'mysql session crashed');
        client.destroy();
      });
  }
}
