import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { AgentsService } from '../agents/agents.service.js';
import type { Connection } from '../connections/connection.types.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';

const POLL_MS = 50;

/**
 * Waits (bounded) until the online agents serving a connection report enforcing a policy
 * version: a credential handed to a CI job must work at its first login, which comes
 * milliseconds later — before the pushed policy may have reached the agent on a busy system.
 */
@Injectable()
export class PolicyEnforcement {
  constructor(
    private readonly agents: AgentsService,
    private readonly connections: ConnectionsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** True when every online serving agent enforces `version` (or none is online); false after `timeoutMs`. */
  async waitUntilEnforced(connection: Connection, version: bigint, timeoutMs: number): Promise<boolean> {
    const agentIds = await this.connections.servingAgentIds(connection);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const agents = await Promise.all(agentIds.map((id) => this.agents.getAgent(id)));
      const behind = agents.filter((a) => a.status === 'ONLINE' && (a.policyVersion ?? -1n) < version);
      if (behind.length === 0) return true;
      if (Date.now() >= deadline) {
        this.logger.warn(
          { connectionId: connection.id, version: version.toString(), agents: behind.map((a) => a.id) },
          'agents have not applied the policy with a new credential yet; handing it out anyway',
        );
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
