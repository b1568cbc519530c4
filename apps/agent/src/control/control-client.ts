import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Channel, Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from '@postern/logging';
import { ATTR, inSpan, startSpan, type Span } from '@postern/tracing';
import {
  agentV1,
  type AgentMessage,
  type ControlClient as GrpcControlClient,
  type ControlMessage__Output,
  type RecordingAck__Output,
  type RecordingChunk,
  type PublicHostKey,
  type RecordingClient,
} from '@postern/proto';
import type { AgentConfig } from '../config.js';
import { AGENT_VERSION } from '../version.js';
import { PolicyCache } from '../policy/policy-cache.js';
import { Backoff } from './backoff.js';
import { channelSettings } from './channel.js';
import { CredentialStore } from './credential-store.js';
import { ReportJournal } from './report-journal.js';

/** The control plane refused our enrollment token: retrying cannot help. */
export class EnrollmentRefusedError extends Error {}

export interface StreamEnd {
  code: GrpcStatus;
  details: string;
}

type Stream = ClientDuplexStream<AgentMessage, ControlMessage__Output>;

const ENROLL_DEADLINE_MS = 15_000;
/**
 * Messages that are not journaled (approval requests) kept while the control plane is out of
 * reach; the session manager also asks again about every held statement after a reconnect.
 */
const MAX_OUTBOX = 1_000;

/** Reports kept in the journal until the control plane acknowledges storing them. */
function journaled(message: AgentMessage): boolean {
  return Boolean(message.sessionOpened ?? message.sessionClosed ?? message.auditEvents);
}

/**
 * The agent's side of the Control stream: enrolls once if it has no credential, then keeps one
 * stream open — hello, heartbeats at the interval the control plane asks for, policy snapshots
 * into the cache — and reconnects with jittered exponential backoff whenever it ends.
 *
 * Events: 'connected' (welcome received), 'disconnected' (StreamEnd), 'policy' (version),
 * 'openTunnel' (OpenTunnel: the control plane relays a client to this agent), 'revoke',
 * 'approvalDecision' (a reviewer decided on a held command).
 */
export class ControlClient extends EventEmitter {
  readonly policy = new PolicyCache();
  readonly instanceId = randomUUID();
  private channel!: Channel;
  /** Recording calls open on the current channel (cancelled with it). */
  private calls = new Set<{ cancel(): void }>();
  private client!: GrpcControlClient;
  private recordings!: RecordingClient;
  private credential: string | null = null;
  private welcomed = false;
  private connectSpan: Span | null = null;
  private readonly outbox: AgentMessage[] = [];
  private readonly journal: ReportJournal;
  /** When the control plane last sent anything on the current stream (stall detection). */
  private lastHeard = 0;
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly store: CredentialStore;
  private stream: Stream | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private heartbeatSeq = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly logger: Logger,
    private readonly capabilities: string[] = [],
    private readonly activeSessions: () => number = () => 0,
    /** Public host keys announced in every hello (the SSH engine's). */
    private readonly hostKeys: PublicHostKey[] = [],
  ) {
    super();
    this.openChannel();
    this.backoff = new Backoff(config.reconnect.initialMs, config.reconnect.maxMs);
    this.store = new CredentialStore(config.stateDir);
    this.journal = new ReportJournal(config.stateDir, config.reportJournalMaxBytes, (error) =>
      this.logger.error({ err: error, path: this.journal.path }, 'report journal write failed'),
    );
  }

  /**
   * One HTTP/2 connection for the Control and Recording services. The channel keeps its
   * own subchannel pool, so that after closing it (a stalled link) the next one dials a new TCP
   * connection instead of reusing the stalled one.
   */
  private openChannel(): void {
    const { credentials, options } = channelSettings(this.config.controlPlane);
    const address = this.config.controlPlane.address;
    this.channel = new Channel(address, credentials, { ...options, 'grpc.use_local_subchannel_pool': 1 });
    const shared = { channelOverride: this.channel };
    const service = agentV1();
    this.client = new service.Control(address, credentials, shared) as unknown as GrpcControlClient;
    this.recordings = new service.Recording(address, credentials, shared) as unknown as RecordingClient;
  }

  /** Resolves once a credential is in hand; the stream then runs until stop(). */
  async start(): Promise<void> {
    const unacknowledged = await this.journal.init();
    if (unacknowledged > 0) {
      this.logger.info({ reports: unacknowledged }, 'reports of a previous run not yet stored by the control plane');
    }
    // Sessions a previous run opened and never reported closed died with it: say so, after their
    // opening (the control plane closes those it already knew of when this process says hello).
    for (const sessionId of this.journal.unclosedSessions()) {
      this.journal.append({
        sessionClosed: { sessionId, endedAt: { unixMs: String(Date.now()) }, endReason: 'agent_restarted' },
      });
    }
    const credential = await this.obtainCredential();
    this.credential = credential;
    this.loop = this.run(credential);
  }

  /**
   * Sends a report to the control plane now, or as soon as the stream is back. Session and audit
   * reports are journaled on disk until the control plane acknowledges storing them.
   */
  report(message: AgentMessage): void {
    if (journaled(message)) {
      const dropped = this.journal.dropped;
      const entry = this.journal.append(message);
      if (this.journal.dropped > dropped) {
        this.logger.error(
          { dropped: this.journal.dropped, limitBytes: this.config.reportJournalMaxBytes },
          'report journal full: oldest unacknowledged reports dropped',
        );
      }
      if (this.stream && this.welcomed) this.stream.write({ ...message, reportSeq: String(entry.seq) });
      return;
    }
    if (this.stream && this.welcomed) {
      this.stream.write(message);
      return;
    }
    if (this.outbox.length >= MAX_OUTBOX) {
      this.outbox.shift();
      this.logger.error({ limit: MAX_OUTBOX }, 'control plane unreachable for long: oldest pending report dropped');
    }
    this.outbox.push(message);
  }

  /** The agent credential, for relay data connections (null before enrollment). */
  get agentCredential(): string | null {
    return this.credential;
  }

  /** Opens a Recording stream (the shipper sends spooled chunks on it and reads the acks). */
  openRecording(): ClientDuplexStream<RecordingChunk, RecordingAck__Output> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.credential ?? ''}`);
    return this.track(this.recordings.Ship(metadata));
  }

  private track<T extends { cancel(): void; once(event: 'close', listener: () => void): unknown }>(call: T): T {
    const calls = this.calls;
    calls.add(call);
    call.once('close', () => calls.delete(call));
    return call;
  }

  /** Session and audit reports journaled and not yet acknowledged by the control plane. */
  get journalPending(): { entries: number; bytes: number } {
    return this.journal.backlog;
  }

  get connected(): boolean {
    return this.stream !== null && this.welcomed;
  }

  /**
   * Whether the control plane has stored this session's opening report: its recording chunks
   * are shipped only then (sent earlier, they would be refused as of an unknown session).
   */
  sessionStored(sessionId: string): boolean {
    return this.journal.openingStored(sessionId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearInterval(this.silenceTimer);
    this.stream?.end();
    this.stream?.cancel();
    this.wake?.();
    await this.loop;
    await this.journal.close();
    this.channel.close();
  }

  private async obtainCredential(): Promise<string> {
    if (this.config.credential) return this.config.credential;
    const stored = await this.store.read();
    if (stored) {
      this.logger.info({ path: this.store.path }, 'using stored agent credential');
      return stored;
    }
    if (!this.config.enrollmentToken) {
      throw new EnrollmentRefusedError(
        `no agent credential at ${this.store.path} and POSTERN_ENROLLMENT_TOKEN is not set: ` +
          'create the agent in the control plane (createAgent) and pass its enrollment token',
      );
    }
    while (!this.stopped) {
      try {
        const token = this.config.enrollmentToken;
        const response = await inSpan('postern.control.enroll', rpcAttributes('Enroll'), () => this.enroll(token));
        await this.store.write(response.credential);
        this.logger.info({ agentId: response.agentId, agent: response.agentName, path: this.store.path }, 'enrolled');
        return response.credential;
      } catch (error) {
        const grpcError = error as ServiceError;
        if (grpcError.code === GrpcStatus.PERMISSION_DENIED || grpcError.code === GrpcStatus.INVALID_ARGUMENT) {
          throw new EnrollmentRefusedError(`enrollment refused by the control plane: ${grpcError.details}`);
        }
        const delay = this.backoff.next();
        this.logger.warn(
          { code: grpcError.code, reason: grpcError.details, retryInMs: delay },
          'enrollment failed; retrying',
        );
        await this.sleep(delay);
      }
    }
    throw new Error('stopped before enrollment');
  }

  private enroll(token: string) {
    return new Promise<{ agentId: string; agentName: string; credential: string }>((resolve, reject) => {
      this.client.Enroll(
        { enrollmentToken: token, agentVersion: AGENT_VERSION, hostname: this.config.hostname },
        { deadline: Date.now() + ENROLL_DEADLINE_MS },
        (error, response) =>
          error || !response ? reject(error ?? new Error('empty enroll response')) : resolve(response),
      );
    });
  }

  private async run(credential: string): Promise<void> {
    while (!this.stopped) {
      const end = await this.connectOnce(credential);
      if (this.stopped) break;
      const delay = this.backoff.next();
      const log =
        end.code === GrpcStatus.UNAUTHENTICATED || end.code === GrpcStatus.PERMISSION_DENIED ? 'error' : 'warn';
      this.logger[log](
        { code: GrpcStatus[end.code], reason: end.details, retryInMs: delay },
        'control stream ended; reconnecting',
      );
      this.emit('disconnected', end);
      await this.sleep(delay);
    }
  }

  /** One Control stream, from hello until it ends; resolves with how it ended. */
  private connectOnce(credential: string): Promise<StreamEnd> {
    return new Promise<StreamEnd>((resolve) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${credential}`);
      const stream = this.client.Connect(metadata);
      this.stream = stream;
      // From opening the stream to the welcome (or the stream's end): how long joining took.
      this.connectSpan = startSpan('postern.control.connect', rpcAttributes('Connect'));
      let settled = false;
      const settle = (end: StreamEnd) => {
        if (settled) return;
        settled = true;
        this.endConnectSpan(GrpcStatus[end.code] ?? String(end.code));
        this.welcomed = false;
        clearInterval(this.heartbeat);
        clearInterval(this.silenceTimer);
        this.stream = null;
        resolve(end);
      };
      stream.on('data', (message: ControlMessage__Output) => this.onMessage(stream, message));
      stream.on('error', (error: ServiceError) => settle({ code: error.code, details: error.details }));
      stream.on('status', (status: { code: GrpcStatus; details: string }) => settle(status));
      stream.on('end', () => settle({ code: GrpcStatus.UNAVAILABLE, details: 'stream ended by the control plane' }));
      stream.write({
        hello: {
          agentVersion: AGENT_VERSION,
          hostname: this.config.hostname,
          capabilities: this.capabilities,
          policyVersion: this.policy.version,
          instanceId: this.instanceId,
          hostKeys: this.hostKeys,
        },
      });
    });
  }

  private endConnectSpan(outcome: string): void {
    this.connectSpan?.setAttribute(ATTR.outcome, outcome);
    this.connectSpan?.end();
    this.connectSpan = null;
  }

  private onMessage(stream: Stream, message: ControlMessage__Output): void {
    this.lastHeard = Date.now();
    switch (message.body) {
      case 'welcome': {
        const welcome = message.welcome!;
        this.backoff.reset();
        this.welcomed = true;
        this.endConnectSpan('welcomed');
        // Everything not yet acknowledged, oldest first: the control plane stores reports
        // idempotently, so what the previous stream delivered but did not ack is harmless.
        for (const entry of this.journal.pending()) stream.write({ ...entry.message, reportSeq: String(entry.seq) });
        for (const pending of this.outbox.splice(0)) stream.write(pending);
        this.startHeartbeats(stream, welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs);
        this.logger.info(
          { agentId: welcome.agentId, agent: welcome.agentName, controlPlane: welcome.controlPlaneInstance },
          'connected to control plane',
        );
        this.emit('connected', welcome);
        return;
      }
      case 'policySnapshot': {
        const snapshot = message.policySnapshot!;
        this.policy.replace(snapshot);
        stream.write({ policyAck: { version: snapshot.version, applied: true, error: '' } });
        this.logger.info({ version: snapshot.version }, 'policy snapshot applied');
        this.emit('policy', snapshot.version);
        return;
      }
      case 'policyUpdate': {
        const update = message.policyUpdate!;
        try {
          this.policy.apply(update);
        } catch (error) {
          const reason = (error as Error).message;
          stream.write({ policyAck: { version: update.version, applied: false, error: reason } });
          this.logger.warn(
            { baseVersion: update.baseVersion, version: update.version, reason },
            'policy update refused',
          );
          return;
        }
        stream.write({ policyAck: { version: update.version, applied: true, error: '' } });
        this.logger.info({ baseVersion: update.baseVersion, version: update.version }, 'policy update applied');
        this.emit('policy', update.version);
        return;
      }
      case 'heartbeatAck':
        return;
      case 'reportAck': {
        const seq = Number(message.reportAck!.seq);
        if (Number.isSafeInteger(seq)) this.journal.ack(seq);
        this.emit('reportsStored');
        return;
      }
      case 'openTunnel':
        this.emit('openTunnel', message.openTunnel!);
        return;
      case 'revoke':
        this.emit('revoke', message.revoke!);
        return;
      case 'approvalDecision':
        this.emit('approvalDecision', message.approvalDecision!);
        return;
      default:
        this.logger.debug({ body: message.body ?? null }, 'control message not handled by this agent version');
    }
  }

  private startHeartbeats(stream: Stream, intervalMs: number, timeoutMs: number): void {
    clearInterval(this.heartbeat);
    clearInterval(this.silenceTimer);
    const interval = Math.max(100, intervalMs);
    // Every heartbeat is answered. A link that stalls without closing (a middlebox dropping
    // packets, a hung peer) would otherwise go unnoticed until TCP gives up, minutes later:
    // silence for the heartbeat timeout ends the stream, and the reconnect loop takes over.
    const silence = Math.max(interval * 2, timeoutMs || interval * 3);
    this.silenceTimer = setInterval(() => {
      if (Date.now() - this.lastHeard <= silence) return;
      this.logger.warn(
        { silentForMs: Date.now() - this.lastHeard },
        'control plane silent: dropping the connection and dialling again',
      );
      clearInterval(this.silenceTimer);
      const stalled = this.channel;
      const stalledCalls = this.calls;
      this.calls = new Set();
      this.openChannel();
      // Closing a channel leaves its calls running: end them, their owners redial.
      stream.cancel();
      for (const call of stalledCalls) call.cancel();
      stalled.close();
    }, interval);
    this.heartbeat = setInterval(() => {
      this.heartbeatSeq += 1;
      stream.write({
        heartbeat: {
          seq: String(this.heartbeatSeq),
          sentAt: { unixMs: String(Date.now()) },
          activeSessions: this.activeSessions(),
          policyVersion: this.policy.version,
        },
      });
    }, interval);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

function rpcAttributes(method: string): Record<string, string> {
  return { 'rpc.system': 'grpc', 'rpc.service': 'postern.agent.v1.Control', 'rpc.method': method };
}
