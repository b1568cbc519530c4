import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SessionObserver } from '../sessions/session-observer.js';

/** What the agent's gauges read when scraped (nothing is sampled between scrapes). */
export interface AgentState {
  controlConnected(): boolean;
  policyVersion(): string;
  spool(): { chunks: number; bytes: number };
  journal(): { entries: number; bytes: number };
  activeSessions(): number;
}

/**
 * The agent's Prometheus metrics (prom-client, its own registry): sessions by protocol and end
 * reason, policy decisions by rule and outcome, approval waits, bytes, the control stream, policy
 * version, recording spool and report journal depth, and Node's process metrics. Counting is one
 * label lookup per session event or decision — never per message.
 */
export class AgentMetrics implements SessionObserver {
  readonly registry = new Registry();
  private readonly sessionsStarted: Counter<'protocol' | 'ingress'>;
  private readonly sessionsEnded: Counter<'protocol' | 'ingress' | 'end_reason'>;
  private readonly sessionsRefused: Counter<'protocol' | 'ingress' | 'end_reason'>;
  private readonly sessionsOpen: Gauge<'protocol' | 'ingress'>;
  private readonly bytes: Counter<'protocol' | 'direction'>;
  private readonly decisions: Counter<'protocol' | 'kind' | 'decision' | 'rule'>;
  private readonly approvalWait: Histogram<'protocol' | 'outcome'>;

  constructor(state: AgentState) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'postern_agent_' });
    this.sessionsStarted = new Counter({
      name: 'postern_agent_sessions_started_total',
      help: 'Sessions authenticated and started, by protocol and ingress.',
      labelNames: ['protocol', 'ingress'],
      registers,
    });
    this.sessionsEnded = new Counter({
      name: 'postern_agent_sessions_ended_total',
      help: 'Started sessions that ended, by protocol, ingress and end reason.',
      labelNames: ['protocol', 'ingress', 'end_reason'],
      registers,
    });
    this.sessionsRefused = new Counter({
      name: 'postern_agent_sessions_refused_total',
      help: 'Client connections that ended before authentication (refused, failed, abandoned), by reason.',
      labelNames: ['protocol', 'ingress', 'end_reason'],
      registers,
    });
    this.sessionsOpen = new Gauge({
      name: 'postern_agent_sessions_open',
      help: 'Sessions open now, by protocol and ingress.',
      labelNames: ['protocol', 'ingress'],
      registers,
    });
    this.bytes = new Counter({
      name: 'postern_agent_session_bytes_total',
      help: 'Bytes carried by ended sessions, by protocol and direction (from_client, from_target).',
      labelNames: ['protocol', 'direction'],
      registers,
    });
    this.decisions = new Counter({
      name: 'postern_agent_policy_decisions_total',
      help: 'Policy decisions audited by the engines, by protocol, kind, decision and rule id.',
      labelNames: ['protocol', 'kind', 'decision', 'rule'],
      registers,
    });
    this.approvalWait = new Histogram({
      name: 'postern_agent_approval_wait_seconds',
      help: 'How long held commands waited for a decision, by outcome.',
      labelNames: ['protocol', 'outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600],
      registers,
    });
    new Gauge({
      name: 'postern_agent_control_stream_up',
      help: '1 while the Control stream to the control plane is open.',
      registers,
      collect() {
        this.set(state.controlConnected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'postern_agent_policy_version',
      help: 'Version of the policy snapshot the agent enforces (the control plane shows how far behind it is).',
      registers,
      collect() {
        this.set(Number(state.policyVersion()) || 0);
      },
    });
    new Gauge({
      name: 'postern_agent_recording_spool_chunks',
      help: 'Recording chunks spooled and not yet committed by the control plane.',
      registers,
      collect() {
        this.set(state.spool().chunks);
      },
    });
    new Gauge({
      name: 'postern_agent_recording_spool_bytes',
      help: 'Bytes of the recording spool on disk.',
      registers,
      collect() {
        this.set(state.spool().bytes);
      },
    });
    new Gauge({
      name: 'postern_agent_report_journal_entries',
      help: 'Session and audit reports journaled and not yet acknowledged by the control plane.',
      registers,
      collect() {
        this.set(state.journal().entries);
      },
    });
    new Gauge({
      name: 'postern_agent_report_journal_bytes',
      help: 'Bytes of unacknowledged reports in the journal.',
      registers,
      collect() {
        this.set(state.journal().bytes);
      },
    });
  }

  opened(protocol: string, ingress: 'local' | 'relay'): void {
    this.sessionsStarted.inc({ protocol, ingress });
    this.sessionsOpen.inc({ protocol, ingress });
  }

  closed(
    protocol: string,
    ingress: 'local' | 'relay',
    end: { endReason: string; bytesFromClient: number; bytesFromTarget: number; wasOpened: boolean },
  ): void {
    if (!end.wasOpened) {
      this.sessionsRefused.inc({ protocol, ingress, end_reason: end.endReason });
      return;
    }
    this.sessionsOpen.dec({ protocol, ingress });
    this.sessionsEnded.inc({ protocol, ingress, end_reason: end.endReason });
    this.bytes.inc({ protocol, direction: 'from_client' }, end.bytesFromClient);
    this.bytes.inc({ protocol, direction: 'from_target' }, end.bytesFromTarget);
  }

  decision(protocol: string, kind: string, decision: string, rule: string): void {
    this.decisions.inc({ protocol, kind, decision, rule });
  }

  approvalSettled(protocol: string, outcome: string, seconds: number): void {
    this.approvalWait.observe({ protocol, outcome }, seconds);
  }
}
