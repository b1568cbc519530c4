import { Inject, Injectable } from '@nestjs/common';
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '@postern/logging';
import type { RecordingAck, RecordingChunk__Output, RecordingHandlers } from '@postern/proto';
import type { Agent } from '../agents/agent.types.js';
import { AgentsService } from '../agents/agents.service.js';
import { bearerFrom } from '../agents/control-stream.js';
import { toGrpcStatus } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RecordingsService } from './recordings.service.js';

type ShipCall = ServerDuplexStream<RecordingChunk__Output, RecordingAck>;

/** Chunks read ahead of processing before the stream is paused (HTTP/2 then holds the agent back). */
const MAX_PENDING_CHUNKS = 8;

/**
 * One agent's `Recording.Ship` stream: chunks are committed one at a time, in the order they
 * came, and each is answered in that order. A refused chunk is answered (committed=false); only
 * a failure of the control plane itself (database down) ends the call, so the agent resends.
 */
class ShipStream {
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private ended = false;

  constructor(
    private readonly call: ShipCall,
    private readonly agent: Agent,
    private readonly recordings: RecordingsService,
    private readonly logger: Logger,
  ) {}

  start(onFinished: () => void): void {
    this.call.on('data', (chunk: RecordingChunk__Output) => {
      this.pending += 1;
      if (this.pending >= MAX_PENDING_CHUNKS) this.call.pause();
      this.queue = this.queue
        .then(() => this.commit(chunk))
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          this.pending -= 1;
          if (this.pending < MAX_PENDING_CHUNKS / 2 && !this.ended) this.call.resume();
        });
    });
    // The agent finished sending: answer what is queued, then end with OK.
    this.call.on('end', () => {
      void this.queue.then(() => {
        if (this.ended) return;
        this.ended = true;
        this.call.end();
        onFinished();
      });
    });
    const gone = () => {
      this.ended = true;
      onFinished();
    };
    this.call.on('cancelled', gone);
    this.call.on('error', gone);
    this.call.on('close', gone);
  }

  /** Stops reading, answers the chunks already read, then ends the call so the agent reconnects. */
  async close(): Promise<void> {
    this.call.pause();
    await this.queue;
    this.endWith(GrpcStatus.UNAVAILABLE, 'control plane shutting down; reconnect');
  }

  private async commit(chunk: RecordingChunk__Output): Promise<void> {
    if (this.ended) return;
    const ack = await this.recordings.ship(this.agent, chunk);
    if (!this.ended) this.call.write(ack);
  }

  private fail(error: unknown): void {
    const status = toGrpcStatus(error);
    if (status.code === GrpcStatus.INTERNAL) {
      this.logger.error({ err: error, agentId: this.agent.id }, 'recording stream failed');
    }
    this.endWith(status.code, status.details);
  }

  private endWith(code: GrpcStatus, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit('error', { code, details });
  }
}

/** The `Recording` service of the agent contract: authenticates the agent, then a ShipStream per call. */
@Injectable()
export class RecordingGrpcHandlers {
  private readonly streams = new Set<ShipStream>();

  constructor(
    private readonly agents: AgentsService,
    private readonly recordings: RecordingsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handlers(): RecordingHandlers {
    return {
      Ship: (call: ShipCall) => {
        this.agents.authenticate(bearerFrom(call)).then(
          (agent) => {
            const stream = new ShipStream(call, agent, this.recordings, this.logger);
            this.streams.add(stream);
            stream.start(() => this.streams.delete(stream));
          },
          (error: unknown) => {
            const { code, details } = toGrpcStatus(error);
            this.logger.warn({ peer: call.getPeer(), reason: details }, 'recording stream refused');
            call.emit('error', { code, details });
          },
        );
      },
    };
  }

  /** At shutdown: every stream answers what it has read, then ends. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.streams].map((stream) => stream.close()));
  }
}
