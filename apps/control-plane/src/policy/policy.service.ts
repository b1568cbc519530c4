import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import type { PolicySnapshot } from '@postern/proto';
import type { Agent } from '../agents/agent.types.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { POLICY_CHANGED_CHANNEL, type PolicyChanged } from './policy.events.js';
import { DEFAULT_RULE_DIALECT } from '../rules/rule-dialects.js';
import { PolicyRepository, type CompiledRule } from './policy.repository.js';
import { IdentityProviderKeys } from './identity-provider-keys.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';

/**
 * Snapshot compiles running at once. Each is a repeatable-read transaction holding one of the
 * ten pooled database connections; a policy change or a reconnect wave asks for one per agent
 * (1,000 at once in bench/fleet.mjs), which would otherwise starve every other query and time out
 * waiting for a connection. Extra compiles wait in line here instead.
 */
const MAX_CONCURRENT_COMPILES = 4;

/**
 * Compiles what an agent enforces into the versioned snapshot of the agent contract, and
 * announces changes on Redis so that whichever replica holds an agent's stream pushes it a new
 * snapshot. An empty snapshot means "nothing is reachable" (fail closed).
 */
@Injectable()
export class PolicyService {
  private readonly compiles: Limiter;

  constructor(
    private readonly repository: PolicyRepository,
    private readonly redis: RedisService,
    private readonly keys: IdentityProviderKeys,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.compiles = new Limiter(MAX_CONCURRENT_COMPILES);
    keys.whenChanged(() => void this.changed('identity provider keys changed').catch(() => undefined));
  }

  async snapshotFor(agent: Pick<Agent, 'id'>): Promise<PolicySnapshot> {
    const compiled = await this.compiles.run(() => this.repository.compileForAgent(agent.id, new Date()));
    return {
      version: compiled.version.toString(),
      generatedAt: { unixMs: Date.now().toString() },
      connections: compiled.connections.map((c) => ({
        id: c.id,
        name: c.name,
        protocol: c.protocol,
        targetHost: c.targetHost,
        targetPort: c.targetPort,
        targetDatabase: c.targetDatabase ?? '',
        targetUser: c.targetUser ?? '',
        secretRef: c.secretRef ?? '',
        tlsMode: c.tlsMode,
        tlsCaRef: c.tlsCaRef ?? '',
        recordingMode: c.recordingMode.toLowerCase().replace('_', '-'),
        settings: c.settings,
      })),
      accessRules: compiled.accessRules.map((r) => ({
        id: r.id,
        connectionId: r.connectionId,
        groups: r.groups,
        operations: r.operations,
        requiresApproval: r.requiresApproval,
        maxSessionSeconds: r.maxSessionSeconds ?? 0,
      })),
      credentials: compiled.credentials.map((c) => ({
        id: c.id,
        secretHash: c.secretHash,
        connectionId: c.connectionId,
        expiresAt: { unixMs: c.expiresAt.getTime().toString() },
        principal: {
          id: c.principal.id,
          displayName: c.principal.displayName,
          groups: c.principal.groups,
          kind: 'KIND_USER',
          loginNames: c.principal.loginNames,
        },
      })),
      sshKeys: compiled.sshKeys.map((k) => ({
        id: k.id,
        fingerprint: k.fingerprint,
        publicKey: k.publicKey,
        principal: {
          id: k.principal.id,
          displayName: k.principal.displayName,
          groups: k.principal.groups,
          kind: 'KIND_USER',
          loginNames: k.principal.loginNames,
        },
      })),
      identity: this.identitySettings(),
      ...compileRules(compiled.policyRules),
      grants: compiled.grants.map((g) => ({
        id: g.id,
        principalId: g.principalId,
        connectionId: g.connectionId,
        operations: g.operations,
        expiresAt: { unixMs: g.expiresAt.getTime().toString() },
      })),
      // Token sessions are keyed `oidc:<subject>` at the agent.
      revokedPrincipals: compiled.revokedSubjects.map((r) => ({
        principalId: `oidc:${r.subject}`,
        revokedAt: { unixMs: r.at.getTime().toString() },
      })),
    };
  }

  /** What agents need to verify OIDC access tokens presented as passwords, or null when OIDC is off. */
  private identitySettings() {
    const oidc = this.config.oidc;
    if (!oidc || !this.keys.current) return null;
    return {
      issuer: oidc.issuer,
      // Database passwords carry the data-plane audience; API tokens are refused (DESIGN.md §6b).
      audiences: [oidc.dataPlaneAudience],
      refusedAudiences: oidc.audiences,
      jwksJson: this.keys.current,
      groupsClaim: oidc.groupsClaim,
      allowedAlgorithms: oidc.allowedAlgorithms,
    };
  }

  latestVersion(): Promise<bigint> {
    return this.repository.latestVersion();
  }

  /** Records a new policy version and tells every replica to push fresh snapshots. */
  async changed(reason: string, agentIds: string[] = []): Promise<bigint> {
    const version = await this.repository.bump(reason);
    const message: PolicyChanged = { version: version.toString(), reason, agentIds };
    await this.redis.publish(POLICY_CHANGED_CHANNEL, JSON.stringify(message));
    this.logger.info({ version: message.version, reason, agents: agentIds.length || 'all' }, 'policy changed');
    return version;
  }
}

/**
 * Guardrails, approval rules and masking rules in the agent contract. Rule bodies travel as the
 * JSON libs/policy validates: a StatementMatch for guardrails and approval rules, a MaskingSpec
 * for masking rules; each rule's dialect (stored in its spec, absent before dialects: postgres)
 * travels beside it, so an agent hands a rule only to that protocol's engine.
 */
export function compileRules(
  rules: CompiledRule[],
): Pick<PolicySnapshot, 'guardrails' | 'approvalRules' | 'maskingRules'> {
  const of = (kind: CompiledRule['kind']) => rules.filter((r) => r.kind === kind);
  return {
    guardrails: of('guardrail').map((r) => ({
      id: r.id,
      name: r.name,
      connectionIds: r.connectionIds,
      groups: r.groups,
      action: 'block',
      specJson: JSON.stringify(r.spec['match'] ?? {}),
      dialect: specDialect(r.spec),
    })),
    approvalRules: of('approval').map((r) => {
      const spec = r.spec as {
        match?: unknown;
        approverGroups?: string[];
        requiredApprovals?: number;
        timeoutSeconds?: number;
      };
      return {
        id: r.id,
        name: r.name,
        connectionIds: r.connectionIds,
        groups: r.groups,
        approverGroups: spec.approverGroups ?? [],
        requiredApprovals: spec.requiredApprovals ?? 1,
        timeoutSeconds: spec.timeoutSeconds ?? 0,
        specJson: JSON.stringify(spec.match ?? {}),
        dialect: specDialect(r.spec),
      };
    }),
    maskingRules: of('masking').map((r) => {
      const { dialect: _dialect, ...spec } = r.spec;
      return {
        id: r.id,
        name: r.name,
        connectionIds: r.connectionIds,
        exemptGroups: r.groups,
        specJson: JSON.stringify(spec),
        dialect: specDialect(r.spec),
      };
    }),
  };
}

function specDialect(spec: Record<string, unknown>): string {
  return typeof spec['dialect'] === 'string' ? spec['dialect'] : DEFAULT_RULE_DIALECT;
}

/** Runs at most `width` tasks at once, the others in arrival order. */
class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly width: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `running` never overshoots.
    if (this.running >= this.width) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
