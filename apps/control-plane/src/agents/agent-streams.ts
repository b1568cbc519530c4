import { Injectable } from '@nestjs/common';
import type { ControlMessage } from '@postern/proto';

/** What the registry needs of a live Control stream: a way to end it with a reason. */
export interface LiveStream {
  readonly agentId: string;
  readonly streamId: string;
  send(message: ControlMessage): void;
  pushPolicy(): Promise<void>;
  close(reason: { code: 'PERMISSION_DENIED' | 'UNAVAILABLE'; message: string }): void;
}

/**
 * The Control streams held by this control-plane process, by agent. Used to end an agent's
 * streams when it is disabled or re-enrolled, and to close every stream on shutdown so agents
 * reconnect to another replica at once instead of waiting for a keepalive timeout.
 */
@Injectable()
export class AgentStreams {
  private readonly byAgent = new Map<string, Map<string, LiveStream>>();
  private readonly pending = new Set<Promise<unknown>>();

  add(stream: LiveStream): void {
    let streams = this.byAgent.get(stream.agentId);
    if (!streams) this.byAgent.set(stream.agentId, (streams = new Map()));
    streams.set(stream.streamId, stream);
  }

  remove(stream: LiveStream): void {
    const streams = this.byAgent.get(stream.agentId);
    streams?.delete(stream.streamId);
    if (streams?.size === 0) this.byAgent.delete(stream.agentId);
  }

  /** A live stream of the agent on this replica, if any. */
  any(agentId: string): LiveStream | undefined {
    return this.byAgent.get(agentId)?.values().next().value;
  }

  /** Every live stream, or those of the given agents. */
  list(agentIds: string[] = []): LiveStream[] {
    const ids = agentIds.length > 0 ? agentIds : [...this.byAgent.keys()];
    return ids.flatMap((id) => [...(this.byAgent.get(id)?.values() ?? [])]);
  }

  closeAgent(agentId: string, reason: Parameters<LiveStream['close']>[0]): number {
    const streams = [...(this.byAgent.get(agentId)?.values() ?? [])];
    for (const stream of streams) stream.close(reason);
    return streams.length;
  }

  closeAll(reason: Parameters<LiveStream['close']>[0]): void {
    for (const streams of [...this.byAgent.values()]) {
      for (const stream of [...streams.values()]) stream.close(reason);
    }
  }

  /** Keeps a stream's closing work (marking the agent offline) so shutdown can wait for it. */
  track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  async drained(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  get size(): number {
    let n = 0;
    for (const streams of this.byAgent.values()) n += streams.size;
    return n;
  }
}
