import { Injectable } from '@nestjs/common';
import type { PolicySnapshot } from '@postern/proto';
import type { Agent } from '../agents/agent.types.js';
import { PolicyRepository } from './policy.repository.js';

/**
 * Compiles what an agent enforces into the versioned snapshot of the agent contract.
 * Connections, access rules, guardrails and masking arrive with their features; until then the
 * snapshot is empty, which an agent enforces as "nothing is reachable" (fail closed).
 */
@Injectable()
export class PolicyService {
  constructor(private readonly repository: PolicyRepository) {}

  async snapshotFor(_agent: Agent): Promise<PolicySnapshot> {
    const version = await this.repository.latestVersion();
    return {
      version: version.toString(),
      generatedAt: { unixMs: Date.now().toString() },
      connections: [],
      accessRules: [],
      guardrails: [],
      maskingRules: [],
      approvalRules: [],
      grants: [],
      revokedPrincipals: [],
    };
  }
}
