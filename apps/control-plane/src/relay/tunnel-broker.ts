import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { TunnelFrame, TunnelFrame__Output } from '@postern/proto';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { DomainError } from '../platform/errors/domain-error.js';
import type { LiveStream } from '../agents/agent-streams.js';

export type TunnelCall = ServerDuplexStream<TunnelFrame__Output, TunnelFrame>;

interface Pending {
  agentId: string;
  resolve(call: TunnelCall): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Pairs a client connection accepted by a relay listener with the Tunnel stream its agent opens
 * in answer to `OpenTunnel`. The tunnel id is random and single-use; only the agent that was
 * asked may answer it.
 */
@Injectable()
export class TunnelBroker {
  private readonly pending = new Map<string, Pending>();

  constructor(@Inject(CONFIG) private readonly config: ControlPlaneConfig) {}

  /** Asks the agent holding `stream` to open a tunnel; resolves with the agent's Tunnel call. */
  request(
    stream: LiveStream,
    details: { connectionId: string; clientAddress: string; protocol: string },
  ): Promise<TunnelCall> {
    const tunnelId = randomUUID();
    return new Promise<TunnelCall>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(tunnelId);
        reject(new DomainError('UNAVAILABLE', 'the agent did not open the tunnel in time'));
      }, this.config.relay.tunnelTimeoutMs);
      this.pending.set(tunnelId, { agentId: stream.agentId, resolve, reject, timer });
      stream.send({ openTunnel: { tunnelId, ...details } });
    });
  }

  /** Called for an agent's Tunnel stream whose first frame named `tunnelId`. */
  accept(agentId: string, tunnelId: string, call: TunnelCall): boolean {
    const pending = this.pending.get(tunnelId);
    if (!pending || pending.agentId !== agentId) return false;
    this.pending.delete(tunnelId);
    clearTimeout(pending.timer);
    pending.resolve(call);
    return true;
  }

  get waiting(): number {
    return this.pending.size;
  }
}
