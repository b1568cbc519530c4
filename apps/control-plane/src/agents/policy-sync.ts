import { Inject, Injectable } from '@nestjs/common';
import {
  agentV1,
  diffPolicy,
  type ControlMessage,
  type ControlMessage__Output,
  type PolicySnapshot,
  type PolicySnapshot__Output,
} from '@postern/proto';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';

/** Policy states sent and not yet acknowledged beyond which an agent is treated as not acking. */
const MAX_IN_FLIGHT = 32;
const APPLIED_TTL_SECONDS = 7 * 24 * 3600;

function codec() {
  const method = agentV1().Control.service.Connect;
  return {
    encode: (message: ControlMessage): Buffer => method.responseSerialize(message),
    decode: (bytes: Buffer): ControlMessage__Output => method.responseDeserialize(bytes) as ControlMessage__Output,
  };
}

/**
 * The last policy state each agent acknowledged applying, in Redis (wire-encoded), so a
 * control-plane replica the agent reconnects to can send a delta from the version named in its
 * hello instead of the whole snapshot.
 */
@Injectable()
export class AppliedPolicyStore {
  private readonly codec = codec();

  constructor(
    private readonly redis: RedisService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  async save(agentId: string, state: PolicySnapshot__Output): Promise<void> {
    const bytes = this.codec.encode({ policySnapshot: state as PolicySnapshot });
    await this.redis.client.set(this.key(agentId), bytes, 'EX', APPLIED_TTL_SECONDS);
  }

  async load(agentId: string, version: string): Promise<PolicySnapshot__Output | null> {
    if (version === '0') return null;
    const bytes = await this.redis.client.getBuffer(this.key(agentId));
    const state = bytes ? this.codec.decode(bytes).policySnapshot : null;
    return state && state.version === version ? state : null;
  }

  private key(agentId: string): string {
    return `${this.config.redis.prefix}:policy-applied:${agentId}`;
  }
}

interface Sent {
  state: PolicySnapshot__Output;
  full: boolean;
}

/**
 * What one Control stream knows of its agent's policy state, to send deltas safely. The agent
 * acknowledges every snapshot and update in order, so acks pair with sends first-in first-out.
 * Deltas start only once the agent has acknowledged a state (or named in its hello one stored
 * in AppliedPolicyStore): an agent that never acks always gets full snapshots. A delta is sent
 * only when it encodes smaller than the snapshot.
 */
export class PolicySync {
  private readonly codec = codec();
  private readonly inFlight: Sent[] = [];
  private acked: PolicySnapshot__Output | null = null;
  private untracked = false;

  /** The agent said in its hello that it holds this state. */
  seed(state: PolicySnapshot__Output): void {
    this.acked = state;
  }

  /** The message that brings the agent to `compiled`: a PolicyUpdate or a PolicySnapshot. */
  next(compiled: PolicySnapshot, forceFull = false): { message: ControlMessage; delta: boolean } {
    const fullBytes = this.codec.encode({ policySnapshot: compiled });
    const state = this.codec.decode(fullBytes).policySnapshot!;
    const base = this.inFlight.at(-1)?.state ?? this.acked;
    if (base && this.acked && !forceFull && !this.untracked) {
      const update = diffPolicy(base as PolicySnapshot, state as PolicySnapshot);
      if (this.codec.encode({ policyUpdate: update }).length < fullBytes.length) {
        this.remember({ state, full: false });
        return { message: { policyUpdate: update }, delta: true };
      }
    }
    this.remember({ state, full: true });
    return { message: { policySnapshot: compiled }, delta: false };
  }

  /**
   * An ack from the agent. Returns the state it now holds when applied, or 'resend' when it
   * refused a delta and no full snapshot is on its way yet.
   */
  ack(version: string, applied: boolean): PolicySnapshot__Output | 'resend' | null {
    const sent = this.inFlight.shift();
    if (!sent || this.untracked) return null;
    if (applied && sent.state.version === version) {
      this.acked = sent.state;
      return sent.state;
    }
    if (!applied && !this.inFlight.some((s) => s.full)) {
      this.acked = null;
      return 'resend';
    }
    return null;
  }

  private remember(sent: Sent): void {
    if (this.untracked) return;
    this.inFlight.push(sent);
    if (this.inFlight.length > MAX_IN_FLIGHT) {
      // Not acking (an old agent): stop tracking, send full snapshots from now on.
      this.untracked = true;
      this.inFlight.length = 0;
      this.acked = null;
    }
  }
}
