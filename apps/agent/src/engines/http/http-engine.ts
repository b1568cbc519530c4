import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import { HTTP_DIALECT } from '@postern/policy-http';
import type { CompiledRules, DialectRules, ProtocolEngine, RuleCompileOptions } from '../engine.js';
import { HeldRequests } from './approvals.js';
import { compileHttpRules, type HttpContext, type HttpSessionRules } from './rules.js';
import { HttpSession, PoolCache, type HttpSessionSettings } from './session.js';

export type HttpEngineOptions = Partial<Omit<HttpSessionSettings, 'held' | 'pools'>> & { logger?: Logger };

const DEFAULTS: Omit<HttpSessionSettings, 'held' | 'pools'> = {
  domain: null,
  recordBodyBytes: 64 * 1024,
  idleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024,
  maxUpgradeBytes: 0,
  maxMaskedValueBytes: 1 << 20,
  assertion: null,
};

/**
 * The HTTP engine: an HTTP/1.1 server for clients (TLS when the ingress has a certificate), the
 * connection chosen per request by Host or path prefix, the caller's Postern credential checked and
 * removed, the upstream's credential injected, request rules of the `http` dialect, JSON answers
 * masked while streaming, every call recorded. One instance serves every HTTP session of the agent
 * and holds the upstream pools and the held-request table they share.
 */
export class HttpEngine implements ProtocolEngine<HttpSessionRules> {
  readonly protocol = 'http';
  readonly dialect = HTTP_DIALECT.name;
  private readonly settings: HttpSessionSettings;
  private readonly logger: Logger | undefined;

  constructor(options: HttpEngineOptions = {}) {
    const { logger, ...rest } = options;
    this.settings = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      held: new HeldRequests(),
      pools: new PoolCache(),
    };
    this.logger = logger;
  }

  compileRules(rules: DialectRules, options: RuleCompileOptions): CompiledRules<HttpSessionRules> {
    return compileHttpRules(rules, options);
  }

  serve(client: Duplex, context: HttpContext): Promise<void> {
    return new HttpSession(client, context, this.settings).run().catch((error: unknown) => {
      (this.logger ?? context.logger).error({ err: error }, 'http session crashed');
      client.destroy();
    });
  }

  /** Closes the upstream pools (tests, shutdown). */
  close(): Promise<void> {
    return this.settings.pools.closeAll();
  }
}
