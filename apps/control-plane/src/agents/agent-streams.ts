import { Injectable } from '@nestjs/common';
import type { ControlMessage } from '@postern/proto';

/** What the registry needs of a live Control stream: a way to end it with a reason. */
export interface LiveStream {
  readonly agentId: string;
  readonly streamId: string;
  /** When the stream was accepted (ms since the epoch). */
  readonly openedAt: number;
  /** Sessions the agent reported running in its last heartbeat (relay load balancing). */
  readonly activeSessions?: number;
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
  private readonly watchers: Array<(agentId: string, held: boolean) => void> = [];
  private turn = 0;

  add(stream: LiveStream): void {
    let streams = this.byAgent.get(stream.agentId);
    if (!streams) this.byAgent.set(stream.agentId, (streams = new Map()));
    streams.set(stream.streamId, stream);
    if (streams.size === 1) this.notify(stream.agentId, true);
  }

  remove(stream: LiveStream): void {
    const streams = this.byAgent.get(stream.agentId);
    if (!streams?.delete(stream.streamId)) return;
    if (streams.size === 0) {
      this.byAgent.delete(stream.agentId);
      this.notify(stream.agentId, false);
    }
  }

  /** Called when this replica starts or stops holding any stream of an agent (relay/stream-directory.ts). */
  watch(listener: (agentId: string, held: boolean) => void): void {
    this.watchers.push(listener);
  }

  private notify(agentId: string, held: boolean): void {
    for (const listener of this.watchers) listener(agentId, held);
  }

  /** A live stream of the agent on this replica, if any. */
  any(agentId: string): LiveStream | undefined {
    return this.byAgent.get(agentId)?.values().next().value;
  }

  /**
   * One live stream among the given agents' (replicas of an agent group) for a new session: the
   * agent with the fewest sessions in its last heartbeat, round-robin among equals, so a burst
   * of sessions between two heartbeats still spreads. Agents without a stream here are skipped.
   */
  pick(agentIds: string[]): LiveStream | undefined {
    const candidates = agentIds.flatMap((id) => {
      const stream = this.any(id);
      return stream ? [stream] : [];
    });
    if (candidates.length === 0) return undefined;
    const least = Math.min(...candidates.map((s) => s.activeSessions ?? 0));
    const tied = candidates.filter((s) => (s.activeSessions ?? 0) === least);
    this.turn = (this.turn + 1) % 1_000_000;
    return tied[this.turn % tied.length];
  }

  /** Every live stream, or those of the given agents. */
  list(agentIds: string[] = []): LiveStream[] {
    const ids = agentIds.length > 0 ? agentIds : [...this.byAgent.keys()];
    return ids.flatMap((id) => [...(this.byAgent.get(id)?.values() ?? [])]);
  }

  closeAgent(agentId: string, reason: Parameters<LiveStream['close']>[0], openedBefore = Infinity): number {
    const streams = [...(this.byAgent.get(agentId)?.values() ?? [])].filter((s) => s.openedAt < openedBefore);
    for (const stream of streams) stream.close(reason);
    return streams.length;
  }

  /**
   * Shutdown: ends every stream at once and returns their ids. From here on streams leave without
   * their own offline write; the caller marks them all offline in one statement (with 1,000 agents,
   * one write each overran the shutdown grace and the last agents saw INTERNAL, not UNAVAILABLE).
   */
  closeAll(reason: Parameters<LiveStream['close']>[0]): string[] {
    this.shuttingDown = true;
    const ids: string[] = [];
    for (const streams of [...this.byAgent.values()]) {
      for (const stream of [...streams.values()]) {
        ids.push(stream.streamId);
        stream.close(reason);
      }
    }
    return ids;
  }

  /** True once closeAll ran: ending streams skip their individual offline write. */
  shuttingDown = false;

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
