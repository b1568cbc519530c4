import { randomUUID } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from '@postern/logging';
import { ATTR, contextFromTraceparent, inSpan } from '@postern/tracing';
import type { AgentMessage__Output, ControlMessage, Hello__Output } from '@postern/proto';
import type { ControlPlaneConfig } from '../platform/config/config.js';
import { storableText } from '../platform/common/validation.js';
import { DomainError, toGrpcStatus } from '../platform/errors/domain-error.js';
import type { AuditService } from '../audit/audit.service.js';
import type { PolicyService } from '../policy/policy.service.js';
import type { CommandReviewsService } from '../reviews/command-reviews.service.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { decisionMessage } from './approval-push.js';
import { checkHostKeys } from './host-keys.js';
import type { AgentStreams, LiveStream } from './agent-streams.js';
import type { AgentsService } from './agents.service.js';
import type { Agent } from './agent.types.js';
import { PolicySync, type AppliedPolicyStore } from './policy-sync.js';

type Call = ServerDuplexStream<AgentMessage__Output, ControlMessage>;

export interface ControlStreamDeps {
  agents: AgentsService;
  policy: PolicyService;
  sessions: SessionsService;
  commandReviews: CommandReviewsService;
  audit: AuditService;
  streams: AgentStreams;
  appliedPolicies: AppliedPolicyStore;
  config: ControlPlaneConfig;
  logger: Logger;
  version: string;
}

const MAX_TEXT = 255;
/** Messages read ahead of processing before the stream is paused (HTTP/2 then holds the agent back). */
const MAX_PENDING_MESSAGES = 64;

/**
 * One agent's Control stream on this control plane: waits for `hello`, marks the agent online,
 * sends `welcome` and the policy snapshot, then watches heartbeats. Silence longer than the
 * heartbeat timeout ends the stream (DEADLINE_EXCEEDED); any end marks the agent offline unless
 * a newer stream has taken over.
 */
export class ControlStream implements LiveStream {
  readonly streamId = randomUUID();
  readonly openedAt = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private online = false;
  private ended = false;
  private pending = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly policySync = new PolicySync();
  /** Policy pushes run one at a time, in order, so the agent's acks pair with them. */
  private pushes: Promise<void> = Promise.resolve();
  /** Sessions the agent reported in its last heartbeat. */
  activeSessions = 0;

  constructor(
    private readonly call: Call,
    private readonly agent: Agent,
    private readonly deps: ControlStreamDeps,
  ) {}

  get agentId(): string {
    return this.agent.id;
  }

  start(): void {
    this.arm(this.deps.config.agents.helloTimeoutMs, 'no hello received');
    // Messages are handled one at a time, in order (a session's "closed" must not overtake its
    // "opened"); reading pauses while too many wait, which pushes back on the agent.
    this.call.on('data', (message: AgentMessage__Output) => {
      this.pending += 1;
      if (this.pending >= MAX_PENDING_MESSAGES) this.call.pause();
      this.queue = this.queue
        .then(async () => {
          await this.onMessage(message);
          // Stored (or refused for good): the agent may drop it from its journal. Reports are
          // handled in order, so this acknowledges every one before it too.
          if (message.reportSeq !== '0' && this.online) this.send({ reportAck: { seq: message.reportSeq } });
        })
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          this.pending -= 1;
          if (this.pending < MAX_PENDING_MESSAGES / 2 && !this.ended) this.call.resume();
        });
    });
    this.call.on('end', () => this.finish('agent closed the stream'));
    this.call.on('cancelled', () => this.finish('stream cancelled'));
    this.call.on('error', (error: Error) => this.finish(`stream error: ${error.message}`));
    this.call.on('close', () => this.finish('stream closed'));
  }

  close(reason: { code: 'PERMISSION_DENIED' | 'UNAVAILABLE'; message: string }): void {
    this.endWith(
      reason.code === 'PERMISSION_DENIED' ? GrpcStatus.PERMISSION_DENIED : GrpcStatus.UNAVAILABLE,
      reason.message,
    );
  }

  private async onMessage(message: AgentMessage__Output): Promise<void> {
    if (this.ended) return;
    if (!this.online) {
      if (message.body !== 'hello' || !message.hello) {
        this.endWith(GrpcStatus.FAILED_PRECONDITION, 'the first message on a Control stream must be hello');
        return;
      }
      await this.onHello(message.hello);
      return;
    }
    this.arm(this.deps.config.agents.heartbeatTimeoutMs, 'heartbeat timeout');
    switch (message.body) {
      case 'heartbeat': {
        const heartbeat = message.heartbeat!;
        this.activeSessions = heartbeat.activeSessions;
        await this.deps.agents.heartbeat(this.agent.id, this.streamId, parseVersion(heartbeat.policyVersion));
        this.send({ heartbeatAck: { seq: heartbeat.seq } });
        return;
      }
      case 'hello':
        this.endWith(GrpcStatus.FAILED_PRECONDITION, 'hello may be sent only once per stream');
        return;
      case 'sessionOpened': {
        const opened = message.sessionOpened!;
        return this.report('session', () =>
          this.inSessionTrace('postern.session.opened', opened, () => this.deps.sessions.opened(this.agent.id, opened)),
        );
      }
      case 'sessionClosed': {
        const closed = message.sessionClosed!;
        return this.report('session', () =>
          this.inSessionTrace('postern.session.closed', closed, async () => {
            await this.deps.sessions.closed(this.agent.id, closed);
            await this.deps.commandReviews.sessionEnded(closed.sessionId);
          }),
        );
      }
      case 'approvalRequest':
        return this.report('approval', async () => {
          const answer = await this.deps.commandReviews.requested(this.agent.id, message.approvalRequest!);
          if (answer) this.send({ approvalDecision: decisionMessage(answer) });
        });
      case 'auditEvents':
        return this.report('audit', async () => {
          await this.deps.audit.ingestFromAgent(this.agent.id, message.auditEvents!.events);
        });
      case 'policyAck':
        return this.onPolicyAck(message.policyAck!.version, message.policyAck!.applied, message.policyAck!.error);
      default:
        this.deps.logger.debug({ agentId: this.agent.id, body: message.body ?? null }, 'control message ignored');
    }
  }

  /**
   * Stores a session report in a span that continues the agent's trace of that session (its
   * traceparent, when the agent traces), so the database and Redis work it causes shows under
   * the agent's session setup. A no-op wrapper when tracing is off.
   */
  private inSessionTrace(
    name: string,
    report: { sessionId: string; traceparent: string },
    store: () => Promise<void>,
  ): Promise<void> {
    return inSpan(
      name,
      { [ATTR.sessionId]: report.sessionId, [ATTR.agentId]: this.agent.id },
      store,
      contextFromTraceparent(report.traceparent),
    );
  }

  private async onHello(hello: Hello__Output): Promise<void> {
    const hostKeys = checkHostKeys(hello.hostKeys ?? []);
    if (hostKeys.rejected.length > 0) {
      this.deps.logger.warn({ agentId: this.agent.id, problems: hostKeys.rejected }, 'agent host keys not published');
    }
    const restarted = await this.deps.agents.connected(this.agent, {
      streamId: this.streamId,
      controlPlaneInstance: this.deps.config.instanceId,
      version: storableText(hello.agentVersion, 64),
      hostname: storableText(hello.hostname, MAX_TEXT),
      policyVersion: parseVersion(hello.policyVersion),
      instanceId: storableText(hello.instanceId, 64),
      hostKeys: hostKeys.keys,
    });
    if (restarted) await this.deps.sessions.agentRestarted(this.agent.id);
    // The state the agent says it holds, if we know its content: the first push can be a delta.
    const held = await this.deps.appliedPolicies.load(this.agent.id, String(parseVersion(hello.policyVersion)));
    if (held) this.policySync.seed(held);
    if (this.ended) {
      // The agent left while we were marking it online: undo.
      await this.deps.agents.disconnected(this.agent, this.streamId, 'closed during hello');
      return;
    }
    this.online = true;
    this.deps.streams.add(this);
    this.arm(this.deps.config.agents.heartbeatTimeoutMs, 'heartbeat timeout');
    this.send({
      welcome: {
        agentId: this.agent.id,
        agentName: this.agent.name,
        heartbeatIntervalMs: this.deps.config.agents.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.deps.config.agents.heartbeatTimeoutMs,
        controlPlaneVersion: this.deps.version,
        controlPlaneInstance: this.deps.config.instanceId,
      },
    });
    await this.pushPolicy();
  }

  /**
   * A malformed or refused report (session, audit batch, approval request) is that report's
   * problem, not the stream's: it is logged and dropped, and the agent's other reports and its
   * presence carry on. Anything else (the database is down) ends the stream, so the agent resends
   * after reconnecting.
   */
  private async report(what: 'session' | 'approval' | 'audit', store: () => Promise<void>): Promise<void> {
    try {
      await store();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.deps.logger.warn({ agentId: this.agent.id, reason: error.message }, `${what} report refused`);
    }
  }

  /** Sends the agent its current compiled policy: a delta from what it holds when smaller. */
  pushPolicy(forceFull = false): Promise<void> {
    const push = this.pushes.then(async () => {
      if (!this.online || this.ended) return;
      const compiled = await this.deps.policy.snapshotFor(this.agent);
      if (this.ended) return;
      this.send(this.policySync.next(compiled, forceFull).message);
    });
    this.pushes = push.catch(() => undefined);
    return push;
  }

  /** The agent applied (or refused) a snapshot or update; applied versions are what it enforces. */
  private async onPolicyAck(version: string, applied: boolean, error: string): Promise<void> {
    await this.pushes;
    const outcome = this.policySync.ack(version, applied);
    if (!applied) {
      this.deps.logger.warn({ agentId: this.agent.id, version, reason: error.slice(0, 200) }, 'agent refused policy');
    }
    if (outcome === 'resend') {
      await this.pushPolicy(true);
    } else if (outcome) {
      await this.deps.agents.policyApplied(this.agent.id, this.streamId, parseVersion(version));
      await this.deps.appliedPolicies.save(this.agent.id, outcome);
    }
  }

  send(message: ControlMessage): void {
    if (!this.ended) this.call.write(message);
  }

  private arm(ms: number, reason: string): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.endWith(GrpcStatus.DEADLINE_EXCEEDED, reason), ms);
    this.watchdog.unref();
  }

  private fail(error: unknown): void {
    const status = toGrpcStatus(error);
    if (status.code === GrpcStatus.INTERNAL) {
      this.deps.logger.error({ err: error, agentId: this.agent.id }, 'control stream failed');
    }
    this.endWith(status.code, status.details);
  }

  private endWith(code: GrpcStatus, details: string): void {
    if (this.ended) return;
    this.finish(details);
    this.call.emit('error', { code, details });
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.watchdog);
    this.deps.streams.remove(this);
    if (this.online && !this.deps.streams.shuttingDown) {
      this.deps.streams.track(
        this.deps.agents.disconnected(this.agent, this.streamId, reason).catch((error: unknown) => {
          // The sweeper marks the agent offline after the heartbeat timeout if this write failed.
          this.deps.logger.error({ err: error, agentId: this.agent.id }, 'could not mark agent offline');
        }),
      );
    }
  }
}

function parseVersion(value: string): bigint {
  // Versions live in int8 columns: anything beyond is not a version this control plane issued.
  const version = /^\d{1,20}$/.test(value) ? BigInt(value) : 0n;
  return version > 2n ** 63n - 1n ? 0n : version;
}

/** Reads `authorization: Bearer <credential>` from call metadata. */
export function bearerFrom(call: { metadata: { get(key: string): unknown[] } }): string | null {
  const value = call.metadata.get('authorization')[0];
  if (typeof value !== 'string') return null;
  const match = /^Bearer ([^\s]+)$/.exec(value);
  return match ? match[1]! : null;
}
