import type { Logger } from '@postern/logging';
import type { PolicySnapshot__Output } from '@postern/proto';
import type { CompiledRules, DialectRules, EngineRegistry, ProtocolEngine } from '../engines/engine.js';

/**
 * Rules pushed by control planes older than rule dialects carry none: those control planes only
 * had PostgreSQL rules, so an empty dialect reads as this one.
 */
export const LEGACY_RULE_DIALECT = 'postgres';

/** Every engine's rules built from one policy snapshot; rebuilt only when the snapshot changes. */
export interface CompiledPolicy {
  version: string;
  /** By protocol: the rules that protocol's engine compiled from the rules of its dialect. */
  byProtocol: ReadonlyMap<string, CompiledRules>;
  /** Rules an engine could not load, each replaced by its fail-closed stand-in. */
  problems: string[];
}

/** The snapshot's rules that `dialect`'s analyser reads; other dialects' rules are not its to read. */
export function rulesOfDialect(snapshot: PolicySnapshot__Output, dialect: string): DialectRules {
  const ours = (rule: { dialect?: string }) => (rule.dialect || LEGACY_RULE_DIALECT) === dialect;
  return {
    guardrails: snapshot.guardrails.filter(ours),
    approvalRules: snapshot.approvalRules.filter(ours),
    maskingRules: snapshot.maskingRules.filter(ours),
  };
}

/** Has each engine compile the rules of its dialect. */
export function compilePolicy(
  snapshot: PolicySnapshot__Output,
  engines: readonly ProtocolEngine[],
  hashKey: Buffer,
): CompiledPolicy {
  const byProtocol = new Map<string, CompiledRules>();
  const problems: string[] = [];
  for (const engine of engines) {
    const compiled = engine.compileRules(rulesOfDialect(snapshot, engine.dialect), { hashKey });
    byProtocol.set(engine.protocol, compiled);
    problems.push(...compiled.problems.map((problem) => `${engine.protocol}: ${problem}`));
  }
  return { version: snapshot.version, byProtocol, problems };
}

/** Caches the compiled form of the current snapshot (snapshots are replaced, never mutated). */
export class PolicyCompiler {
  private source: PolicySnapshot__Output | null = null;
  private compiled: CompiledPolicy | null = null;

  constructor(
    private readonly engines: EngineRegistry,
    private readonly hashKey: Buffer,
    private readonly logger: Logger,
  ) {}

  current(snapshot: PolicySnapshot__Output | null): CompiledPolicy | null {
    if (snapshot === null) return null;
    if (snapshot !== this.source) {
      this.compiled = compilePolicy(snapshot, this.engines.all(), this.hashKey);
      this.source = snapshot;
      for (const problem of this.compiled.problems) {
        this.logger.error({ policyVersion: snapshot.version, problem }, 'policy rule not loadable; failing closed');
      }
    }
    return this.compiled;
  }
}
