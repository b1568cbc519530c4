import { Injectable } from '@nestjs/common';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import { PolicyService } from '../policy/policy.service.js';
import { AgentStreams } from './agent-streams.js';
import { AgentsRepository } from './agents.repository.js';

const STATUSES = ['PENDING', 'ONLINE', 'OFFLINE', 'DISABLED'] as const;

/** Scrape-time gauges of the agent fleet: presence, policy lag, streams held by this replica. */
@Injectable()
export class FleetMetrics {
  constructor(metrics: MetricsService, agents: AgentsRepository, policy: PolicyService, streams: AgentStreams) {
    // One read of the fleet serves the three gauges of a scrape.
    let pending: Promise<Awaited<ReturnType<AgentsRepository['fleet']>>> | null = null;
    const fleet = () => {
      pending ??= policy
        .latestVersion()
        .then((latest) => agents.fleet(latest))
        .finally(() => setImmediate(() => (pending = null)));
      return pending;
    };
    metrics.gauge(
      'postern_cp_agents',
      'Agents by status (from the database: every replica reports the same).',
      ['status'],
      async () => {
        const { byStatus } = await fleet();
        return STATUSES.map((status) => ({ labels: { status: status.toLowerCase() }, value: byStatus[status] ?? 0 }));
      },
    );
    metrics.gauge(
      'postern_cp_agents_policy_behind',
      'Online agents enforcing an older policy version than the latest.',
      [],
      async () => [{ value: (await fleet()).behind }],
    );
    metrics.gauge(
      'postern_cp_agents_policy_lag_max',
      'Versions between the latest policy and the oldest one an online agent enforces.',
      [],
      async () => [{ value: Number((await fleet()).maxLag) }],
    );
    metrics.gauge('postern_cp_agent_streams', "Agents' Control streams held by this replica.", [], () =>
      Promise.resolve([{ value: streams.size }]),
    );
  }
}
