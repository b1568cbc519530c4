import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@postern/logging';
import { startMetricsEndpoint } from '@postern/net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { QueuesService } from '../infra/queues/queues.service.js';

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_OPERATIONS = 256;

/** A gauge whose value is read when scraped (a database count, a queue depth). */
export type GaugeReader = () => Promise<{ labels?: Record<string, string>; value: number }[]>;

/**
 * The control plane's Prometheus metrics (prom-client, its own registry) and their port
 * (POSTERN_METRICS_PORT; `/metrics`, `/healthz`, `/readyz` like the agent's). Modules count their
 * events through the named counters here and register scrape-time gauges with `gauge()`; nothing is
 * counted per message.
 */
@Injectable()
export class MetricsService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly registry = new Registry();
  readonly graphqlDuration: Histogram<'operation' | 'type' | 'outcome'>;
  readonly sessionReports: Counter<'event' | 'ingress' | 'end_reason'>;
  readonly agentDecisions: Counter<'kind' | 'decision'>;
  readonly approvalWait: Histogram<'kind' | 'outcome'>;
  readonly relayTunnels: Counter<'protocol' | 'outcome'>;
  readonly relayOpen: Gauge<'protocol'>;
  readonly relayBytes: Counter<'protocol' | 'direction'>;
  private server: Server | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    queues: QueuesService,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'postern_cp_' });
    this.graphqlDuration = new Histogram({
      name: 'postern_cp_graphql_request_duration_seconds',
      help: 'GraphQL requests by operation name, type and outcome (ok, error).',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.sessionReports = new Counter({
      name: 'postern_cp_session_reports_total',
      help: 'Session reports from agents (opened, closed), by ingress and end reason.',
      labelNames: ['event', 'ingress', 'end_reason'],
      registers,
    });
    this.agentDecisions = new Counter({
      name: 'postern_cp_policy_decisions_total',
      help: 'Policy decisions agents reported in their audit events, by kind and decision.',
      labelNames: ['kind', 'decision'],
      registers,
    });
    this.approvalWait = new Histogram({
      name: 'postern_cp_approval_wait_seconds',
      help: 'From a review (ACCESS or COMMAND) being requested to its settling, by kind and outcome.',
      labelNames: ['kind', 'outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600],
      registers,
    });
    this.relayTunnels = new Counter({
      name: 'postern_cp_relay_tunnels_total',
      help: 'Relay tunnels asked of agents by this replica, by protocol and outcome (opened, failed).',
      labelNames: ['protocol', 'outcome'],
      registers,
    });
    this.relayOpen = new Gauge({
      name: 'postern_cp_relay_tunnels_open',
      help: 'Relayed client connections open on this replica, by protocol.',
      labelNames: ['protocol'],
      registers,
    });
    this.relayBytes = new Counter({
      name: 'postern_cp_relay_bytes_total',
      help: 'Bytes relayed by ended tunnels, by protocol and direction (from_client, to_client).',
      labelNames: ['protocol', 'direction'],
      registers,
    });
    this.gauge(
      'postern_cp_queue_jobs',
      'BullMQ jobs per queue and state (shared Redis).',
      ['queue', 'state'],
      async () =>
        (await queues.depths()).map(({ queue, state, count }) => ({ labels: { queue, state }, value: count })),
    );
  }

  /** A gauge read at scrape time; a failing reader leaves the gauge out of that scrape. */
  gauge(name: string, help: string, labelNames: string[], read: GaugeReader): void {
    const logger = this.logger;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const { labels, value } of await read()) {
            if (labels) this.set(labels, value);
            else this.set(value);
          }
        } catch (error) {
          logger.warn({ err: error, metric: name }, 'metric not collected');
        }
      },
    });
  }

  /** Apollo plugin timing every GraphQL request by operation (the name the client gave, or "anonymous"). */
  graphqlPlugin(): ApolloServerPlugin {
    const histogram = this.graphqlDuration;
    // Operation names come from callers: only well-formed ones, and at most MAX_OPERATIONS distinct
    // series; the rest are counted as "other", so no caller can grow the registry without bound.
    const seen = new Set<string>();
    const label = (name: string | null | undefined): string => {
      if (!name) return 'anonymous';
      if (seen.has(name)) return name;
      if (!OPERATION_NAME.test(name) || seen.size >= MAX_OPERATIONS) return 'other';
      seen.add(name);
      return name;
    };
    return {
      async requestDidStart() {
        const started = performance.now();
        return {
          async willSendResponse(context) {
            const operation = label(context.operation?.name?.value ?? context.operationName);
            const type = context.operation?.operation ?? 'unknown';
            const outcome = context.errors && context.errors.length > 0 ? 'error' : 'ok';
            histogram.observe({ operation, type, outcome }, (performance.now() - started) / 1000);
          },
        };
      },
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.config.metrics;
    if (!settings) return;
    this.server = await startMetricsEndpoint(
      {
        ...settings,
        render: async () => ({ contentType: this.registry.contentType, body: await this.registry.metrics() }),
      },
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.server?.close();
  }
}
