import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import { KUBERNETES_DIALECT } from '@postern/policy-kubernetes';
import type { CompiledRules, DialectRules, ProtocolEngine, RuleCompileOptions } from '../engine.js';
import { RefusalMemory } from './refusal-memory.js';
import { compileKubernetesRules, type KubernetesContext, type KubernetesSessionRules } from './rules.js';
import { KubernetesSession, type KubernetesSessionSettings } from './session.js';

export type KubernetesEngineOptions = Partial<KubernetesSessionSettings> & { logger?: Logger };

const DEFAULTS: KubernetesSessionSettings = {
  authTimeoutMs: 30_000,
  maxAuthFailures: 3,
  maxHeaderBytes: 32 * 1024,
  idleTimeoutMs: 120_000,
  maxMaskedBytes: 64 * 1024 * 1024,
  recordingMaxBytes: 16 * 1024 * 1024,
};

/**
 * The Kubernetes engine: an HTTPS endpoint speaking the Kubernetes API to kubectl and client-go
 * (a Postern credential as the bearer token), the API server reached with the agent's own
 * service-account token and the verified identity as impersonation, under the `kubernetes`
 * request rules. One instance serves every Kubernetes session of the agent.
 */
export class KubernetesEngine implements ProtocolEngine<KubernetesSessionRules> {
  readonly protocol = 'kubernetes';
  readonly dialect = KUBERNETES_DIALECT.name;
  private readonly settings: KubernetesSessionSettings;
  private readonly logger: Logger | undefined;
  private readonly refusals = new RefusalMemory();

  constructor(options: KubernetesEngineOptions = {}) {
    const settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof KubernetesSessionSettings)[]) {
      const value = options[key];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value <= 0)
        throw new RangeError(`${key} must be a positive integer, got ${value}`);
      settings[key] = value;
    }
    this.settings = settings;
    this.logger = options.logger;
  }

  compileRules(rules: DialectRules, options: RuleCompileOptions): CompiledRules<KubernetesSessionRules> {
    return compileKubernetesRules(rules, options);
  }

  serve(client: Duplex, context: KubernetesContext): Promise<void> {
    return new KubernetesSession(client, context, this.settings, this.refusals).run().catch((error: unknown) => {
      (this.logger ?? context.logger).error({ err: error }, 'kubernetes session crashed');
      client.destroy();
    });
  }
}
