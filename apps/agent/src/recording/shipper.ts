import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '@postern/logging';
import type { RecordingAck__Output, RecordingChunk } from '@postern/proto';
import type { RecordingSpool } from './spool.js';

type ShipStream = ClientDuplexStream<RecordingChunk, RecordingAck__Output>;

export interface ShipperOptions {
  /** Chunks sent and not yet acknowledged, at most. */
  window: number;
  /**
   * Pause before retrying chunks the control plane did not commit (unknown session, gap); it
   * doubles with each retry that commits nothing, up to `maxRetryMs`.
   */
  retryMs: number;
  maxRetryMs?: number;
}

/**
 * Ships the spool to the control plane over one Recording stream at a time, oldest chunk first,
 * with a bounded window of unacknowledged chunks. A chunk leaves the spool only when the control
 * plane says it committed it; anything else (a refused chunk, the stream ending, the agent
 * restarting) leaves it on disk to be sent again — the control plane stores each (session, seq)
 * once, so resending is harmless.
 */
export class RecordingShipper {
  private stream: ShipStream | null = null;
  private readonly inFlight = new Set<string>();
  private retry: NodeJS.Timeout | undefined;
  /** Retries in a row without a committed chunk (for the backoff). */
  private fruitless = 0;
  private stopped = false;
  /** Sessions whose chunks wait for a refused one: sending later seqs first would only make gaps. */
  private readonly blocked = new Set<string>();
  /** Reads are chained so chunks go out in spool order (the control plane refuses gaps). */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly spool: RecordingSpool,
    private readonly open: () => ShipStream,
    private readonly connected: () => boolean,
    private readonly logger: Logger,
    private readonly options: ShipperOptions = { window: 32, retryMs: 2_000 },
    /** Whether the control plane knows the session yet (its chunks wait until it does). */
    private readonly sessionKnown: (sessionId: string) => boolean = () => true,
  ) {
    spool.on('chunk', () => this.pump());
  }

  /** Something the shipper waits for happened (a session's opening was stored): ship. */
  nudge(): void {
    this.pump();
  }

  /** Called when the Control stream is (re)established: ship what is waiting. */
  kick(): void {
    this.fruitless = 0;
    this.blocked.clear();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.stream?.end();
    this.stream = null;
  }

  private pump(): void {
    if (this.stopped || !this.connected()) return;
    const stream = this.stream ?? this.start();
    for (const { sessionId, seq } of this.spool.pending()) {
      if (this.inFlight.size >= this.options.window) return;
      const key = `${sessionId}/${seq}`;
      if (this.inFlight.has(key) || this.blocked.has(sessionId) || !this.sessionKnown(sessionId)) continue;
      this.inFlight.add(key);
      this.sending = this.sending
        .then(() => this.spool.read(sessionId, seq))
        .then(
          (chunk) => {
            if (this.stream !== stream) return void this.inFlight.delete(key);
            stream.write({
              sessionId: chunk.sessionId,
              seq: String(chunk.seq),
              data: chunk.data,
              encoding: chunk.encoding === 'gzip' ? 'RECORDING_ENCODING_JSONL_GZIP' : 'RECORDING_ENCODING_JSONL',
              chainHash: chunk.chainHash,
              final: chunk.final,
            });
          },
          (error: unknown) => {
            this.inFlight.delete(key);
            this.logger.error({ err: error, sessionId, seq }, 'spooled recording chunk unreadable');
          },
        );
    }
  }

  private start(): ShipStream {
    const stream = this.open();
    this.stream = stream;
    stream.on('data', (ack: RecordingAck__Output) => this.onAck(ack));
    const ended = (error?: Error): void => {
      if (this.stream !== stream) return;
      this.stream = null;
      this.inFlight.clear();
      if (error) this.logger.warn({ err: error }, 'recording stream ended; unacknowledged chunks stay spooled');
      this.later();
    };
    stream.on('error', ended);
    stream.on('end', () => ended());
    return stream;
  }

  private onAck(ack: RecordingAck__Output): void {
    const seq = Number(ack.seq);
    const key = `${ack.sessionId}/${seq}`;
    if (!ack.committed) {
      this.inFlight.delete(key);
      this.blocked.add(ack.sessionId);
      this.logger.info({ sessionId: ack.sessionId, seq, reason: ack.error }, 'recording chunk not committed yet');
      this.later();
      return;
    }
    this.fruitless = 0;
    this.spool.acknowledge(ack.sessionId, seq).then(
      () => {
        this.inFlight.delete(key);
        this.pump();
      },
      (error: unknown) => {
        this.inFlight.delete(key);
        this.logger.error({ err: error, sessionId: ack.sessionId, seq }, 'acknowledged chunk could not be removed');
      },
    );
  }

  private later(): void {
    if (this.stopped || this.retry !== undefined) return;
    // A chunk the control plane keeps refusing (its session row lost, say) is retried ever more
    // rarely instead of every few seconds forever; any committed chunk resets the pace.
    const delay = Math.min(this.options.retryMs * 2 ** this.fruitless, this.options.maxRetryMs ?? 300_000);
    this.fruitless += 1;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.blocked.clear();
      this.pump();
    }, delay);
    this.retry.unref();
  }
}
