import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import { DEFAULT_FRONTEND_MAX_MESSAGE_LENGTH } from '@postern/wire-postgres';
import { POSTGRES_DIALECT } from '@postern/policy-postgres';
import type { CompiledRules, DialectRules, ProtocolEngine, RuleCompileOptions } from '../engine.js';
import { CancelRegistry } from './cancel-registry.js';
import { CatalogCache } from './catalog.js';
import { PostgresSession } from './session.js';
import { ScramKeyCache } from './scram-key-cache.js';
import { BufferBudget } from '../../sessions/buffer-budget.js';
import { compilePostgresRules, type PostgresContext, type PostgresSessionRules } from './rules.js';

export interface PostgresEngineOptions {
  /**
   * How long a client has from its first byte until it is authenticated (startup, TLS
   * handshake, password, the authenticator's answer). Default 30 s, PostgreSQL's
   * authentication_timeout: a client that stalls must not hold a connection for long.
   */
  authTimeoutMs?: number;
  /** Connecting to the target, TLS and logging in (and forwarding a cancel). Default 10 s. */
  targetConnectTimeoutMs?: number;
  /** Longest credential accepted as the password (OIDC tokens run to a few KiB). Default 16 KiB. */
  maxPasswordLength?: number;
  /**
   * Largest Bind, FunctionCall or CopyData from a client. Default 64 MiB. Query and Parse stop
   * at the longest SQL the policy checks (8 MiB) plus room for names and parameter types.
   */
  maxClientMessageLength?: number;
  /** How long a closing session waits for its peers to close before destroying. Default 5 s. */
  closeGraceMs?: number;
  /** For engine-wide failures only; each session logs through its context's logger. */
  logger?: Logger;
  /**
   * Memory for messages being assembled, shared by every session of the agent. Default 256 MiB,
   * 64 MiB per principal.
   */
  buffers?: BufferBudget;
}

export type PostgresEngineSettings = Required<Omit<PostgresEngineOptions, 'logger' | 'buffers'>>;

const DEFAULTS: PostgresEngineSettings = {
  authTimeoutMs: 30_000,
  targetConnectTimeoutMs: 10_000,
  maxPasswordLength: 16 * 1024,
  maxClientMessageLength: DEFAULT_FRONTEND_MAX_MESSAGE_LENGTH,
  closeGraceMs: 5_000,
};

/**
 * The PostgreSQL engine: terminates the client's protocol (TLS, password = Postern credential),
 * opens the target with the connection's own credentials, and proxies frames. One instance
 * serves every PostgreSQL session of the agent; it owns the cancel keys it hands out, so a
 * cancel request reaches the right target backend whichever session it arrives on.
 */
export class PostgresEngine implements ProtocolEngine<PostgresSessionRules> {
  readonly protocol = 'postgres';
  readonly dialect = POSTGRES_DIALECT.name;
  private readonly settings: PostgresEngineSettings;
  private readonly cancelRegistry = new CancelRegistry();
  private readonly catalog = new CatalogCache();
  /** Salted target passwords per (target role, salt, iterations): SCRAM's PBKDF2 once per role. */
  private readonly scramKeys = new ScramKeyCache();
  private readonly logger: Logger | undefined;
  private readonly buffers: BufferBudget;

  constructor(options: PostgresEngineOptions = {}) {
    const settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof PostgresEngineSettings)[]) {
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

  /** Sessions currently holding a cancel key (that is, past their target login). */
  get activeSessions(): number {
    return this.cancelRegistry.size;
  }

  compileRules(rules: DialectRules, options: RuleCompileOptions): CompiledRules<PostgresSessionRules> {
    return compilePostgresRules(rules, options);
  }

  serve(client: Duplex, context: PostgresContext): Promise<void> {
    // run() handles every failure itself; this net only keeps a bug from rejecting serve().
    return new PostgresSession(
      client,
      context,
      this.settings,
      this.cancelRegistry,
      this.catalog,
      this.buffers,
      this.scramKeys,
    )
      .run()
      .catch((error: unknown) => {
        (this.logger ?? context.logger).error({ err: error }, 'postgres session crashed');
        client.destroy();
      });
  }
}
