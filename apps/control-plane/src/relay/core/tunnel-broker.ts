import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { MetricsService } from '../../platform/metrics/metrics.service.js';
import { RELAY_TICKET_BYTES } from '@postern/net';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { DomainError } from '../../platform/errors/domain-error.js';
import type { LiveStream } from '../../agents/agent-streams.js';

interface Pending {
  agentId: string;
  ticket: Buffer;
  resolve(data: Socket): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface TunnelRequest {
  connectionId: string;
  clientAddress: string;
  protocol: string;
}

/**
 * Pairs a client accepted by a relay front door with the data connection its agent opens in
 * answer to `OpenTunnel`. Each request carries a fresh tunnel id and a 32-byte ticket: the data
 * connection must present both plus the credential of the agent that was asked. A ticket is
 * single use (claimed, right or wrong, it is gone), expires after POSTERN_RELAY_TUNNEL_TIMEOUT_MS
 * and is compared in constant time.
 */
@Injectable()
export class TunnelBroker {
  private readonly pending = new Map<string, Pending>();
  /** Where agents dial this replica's data port (`:port` = the host they dial for gRPC). */
  private dataAddress: string | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Called once the data port listens; until then no tunnel can be asked for. */
  advertise(address: string): void {
    this.dataAddress = address;
  }

  /** Asks the agent holding `stream` for a data connection; resolves with it once authenticated. */
  request(stream: LiveStream, details: TunnelRequest): Promise<Socket> {
    const dataAddress = this.dataAddress;
    if (!dataAddress) {
      return Promise.reject(new DomainError('UNAVAILABLE', 'the relay data port of this replica is off'));
    }
    const tunnelId = randomUUID();
    const ticket = randomBytes(RELAY_TICKET_BYTES);
    const opened = new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(tunnelId);
        reject(new DomainError('UNAVAILABLE', 'the agent did not open the tunnel in time'));
      }, this.config.relay.tunnelTimeoutMs);
      this.pending.set(tunnelId, { agentId: stream.agentId, ticket, resolve, reject, timer });
      stream.send({ openTunnel: { tunnelId, ticket, dataAddress, ...details } });
    });
    return this.metrics ? this.counted(opened, details.protocol, this.metrics) : opened;
  }

  /** Tunnels by outcome, open now, and their bytes once they end (socket counters: no per-chunk work). */
  private counted(opened: Promise<Socket>, protocol: string, metrics: MetricsService): Promise<Socket> {
    return opened.then(
      (data) => {
        metrics.relayTunnels.inc({ protocol, outcome: 'opened' });
        metrics.relayOpen.inc({ protocol });
        data.once('close', () => {
          metrics.relayOpen.dec({ protocol });
          metrics.relayBytes.inc({ protocol, direction: 'from_client' }, data.bytesWritten);
          metrics.relayBytes.inc({ protocol, direction: 'to_client' }, data.bytesRead);
        });
        return data;
      },
      (error: unknown) => {
        metrics.relayTunnels.inc({ protocol, outcome: 'failed' });
        throw error;
      },
    );
  }

  /**
   * Takes the pending tunnel `tunnelId` if `ticket` is its ticket. Single use: whatever the
   * outcome, the tunnel id is spent, and a wrong ticket fails the waiting client (fail closed).
   */
  claim(tunnelId: string, ticket: Buffer): PendingTunnel | undefined {
    const pending = this.pending.get(tunnelId);
    if (!pending) return undefined;
    this.pending.delete(tunnelId);
    clearTimeout(pending.timer);
    if (ticket.length !== pending.ticket.length || !timingSafeEqual(ticket, pending.ticket)) {
      pending.reject(new DomainError('UNAVAILABLE', 'the tunnel was refused'));
      return undefined;
    }
    return {
      agentId: pending.agentId,
      accept: (data) => pending.resolve(data),
      refuse: () => pending.reject(new DomainError('UNAVAILABLE', 'the tunnel was refused')),
    };
  }

  /** Whether this replica asked for the tunnel (else its data connection belongs to another). */
  issued(tunnelId: string): boolean {
    return this.pending.has(tunnelId);
  }

  get waiting(): number {
    return this.pending.size;
  }
}

/** A claimed tunnel: the data port checks the agent credential, then accepts or refuses it. */
export interface PendingTunnel {
  agentId: string;
  accept(data: Socket): void;
  refuse(): void;
}
