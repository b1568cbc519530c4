import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { sourceHost } from '@postern/policy';
import { AuditService } from '../audit/audit.service.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';

/**
 * A refused call before (or instead of) authentication: a bad enrollment token or agent
 * credential on gRPC, or a bad opening (ticket, tunnel, credential) on the relay data port.
 */
export interface Refusal {
  method: 'Enroll' | 'Connect' | 'RelayData';
  reason: string;
  /** The agent the presented token or credential names, when it names a real one. */
  agentId: string | null;
}

interface Window {
  startedAt: number;
  timer: NodeJS.Timeout;
  /**
   * Refusals summed for the window's summary row: all but the first when `refused` opened the window
   * (that one is audited at once), all of them when `admit` turned the first away.
   */
  count: number;
  byReason: Map<string, number>;
  agentIds: Set<string>;
}

/** Peers tracked at once; beyond this, new peers share one window (memory stays bounded). */
const MAX_PEERS = 10_000;
const OTHER_PEERS = '(other peers)';
const MAX_AGENT_IDS = 20;
const MAX_REASONS = 20;

const FIRST_KIND: Record<Refusal['method'], string> = {
  Enroll: 'agent.enrollment_refused',
  Connect: 'agent.connect_refused',
  RelayData: 'agent.relay_data_refused',
};

/**
 * Calls on the agents' gRPC port and connections to the relay data port that present no valid
 * token cost the caller, not the audit log (one budget per peer for both).
 * Each peer address has a budget of refused calls (a token bucket); once spent, its calls are
 * refused with RESOURCE_EXHAUSTED before any lookup. Refusals are audited per peer and window: the
 * first at once, with its reason, and the rest as one `agent.refusals_aggregated` row with a count
 * when the window ends — so a flood adds two hash-chained rows per peer and window, not one per call.
 */
@Injectable()
export class UnauthenticatedCalls implements OnModuleDestroy {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** False when `peer` has spent its budget of refused calls: refuse the call before any work. */
  admit(peer: string, method: Refusal['method']): boolean {
    const host = hostOf(peer);
    if (this.tokens(host, Date.now()) >= 1) return true;
    // Counted in the window's summary even when it opens the window: no row of its own for a call
    // turned away before any work (the first row of a window is written by `refused`).
    this.count(host, { method, reason: 'rate limited', agentId: null }, false);
    return false;
  }

  /** The error for a call `admit` turned away. */
  exhausted(): DomainError {
    return new DomainError('RESOURCE_EXHAUSTED', 'too many refused calls from this address; retry later');
  }

  /** Records a refused call: spends one of the peer's budget and audits it (aggregated). */
  async refused(peer: string, refusal: Refusal): Promise<void> {
    const host = hostOf(peer);
    const now = Date.now();
    const bucket = this.bucket(host, now);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.logger.warn(
      { peer, method: refusal.method, agentId: refusal.agentId, reason: refusal.reason },
      'agent call refused',
    );
    if (this.count(host, refusal)) return;
    await this.audit.record({
      kind: FIRST_KIND[refusal.method],
      actorKind: 'agent',
      agentId: refusal.agentId,
      decision: 'refused',
      details: { reason: refusal.reason, peer, method: refusal.method },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.windows.keys()].map((host) => this.flush(host)));
  }

  /**
   * Counts a refusal in the peer's window; false when it opened the window and `alone` asks for the
   * window's first refusal to be audited by itself (the caller writes that row).
   */
  private count(host: string, refusal: Refusal, alone = true): boolean {
    const key = this.windows.has(host) || this.windows.size < MAX_PEERS ? host : OTHER_PEERS;
    let window = this.windows.get(key);
    if (!window) {
      const timer = setTimeout(() => void this.flush(key), this.config.grpc.refusals.auditWindowMs);
      timer.unref();
      window = { startedAt: Date.now(), timer, count: 0, byReason: new Map(), agentIds: new Set() };
      this.windows.set(key, window);
      if (alone) return false;
    }
    window.count += 1;
    const reason = `${refusal.method}: ${refusal.reason}`;
    if (window.byReason.has(reason) || window.byReason.size < MAX_REASONS) {
      window.byReason.set(reason, (window.byReason.get(reason) ?? 0) + 1);
    }
    if (refusal.agentId && window.agentIds.size < MAX_AGENT_IDS) window.agentIds.add(refusal.agentId);
    return true;
  }

  private async flush(host: string): Promise<void> {
    const window = this.windows.get(host);
    if (!window) return;
    clearTimeout(window.timer);
    this.windows.delete(host);
    if (window.count === 0) return;
    const agentIds = [...window.agentIds];
    try {
      await this.audit.record({
        kind: 'agent.refusals_aggregated',
        actorKind: 'agent',
        agentId: agentIds.length === 1 ? agentIds[0]! : null,
        decision: 'refused',
        details: {
          peer: host,
          count: window.count,
          // Flat values (AuditEntry details): "reason=count; …" and a comma-separated id list.
          byReason: [...window.byReason].map(([reason, n]) => `${reason}=${n}`).join('; '),
          agentIds: agentIds.join(','),
          from: new Date(window.startedAt).toISOString(),
          to: new Date().toISOString(),
        },
      });
    } catch {
      // AuditService logged it; the counts are in the warnings above.
    }
  }

  private tokens(host: string, now: number): number {
    return this.bucket(host, now).tokens;
  }

  /** The peer's refill-adjusted bucket; least recently seen peers are forgotten beyond MAX_PEERS. */
  private bucket(host: string, now: number): { tokens: number; at: number } {
    const { burst, perMinute } = this.config.grpc.refusals;
    let bucket = this.buckets.get(host);
    if (bucket) {
      this.buckets.delete(host);
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
      bucket.at = now;
    } else {
      bucket = { tokens: burst, at: now };
      if (this.buckets.size >= MAX_PEERS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(host, bucket);
    return bucket;
  }
}

/** gRPC peers read "127.0.0.1:5000", "[::1]:5000" or "ipv4:127.0.0.1:5000": the host part. */
function hostOf(peer: string): string {
  return sourceHost(peer.replace(/^ipv[46]:/, ''));
}
