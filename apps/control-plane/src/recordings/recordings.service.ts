import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import type { RecordingChunk__Output } from '@postern/proto';
import { CHAIN_HASH_BYTES, chainHash, chainSeed } from '@postern/contracts';
import type { Agent } from '../agents/agent.types.js';
import { AuditService } from '../audit/audit.service.js';
import { UUID } from '../platform/common/validation.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { ChunkDecodingError, decodeChunk, encodingFromWire } from './chunk-encoding.js';
import { InvalidEventError, lastEvent } from './recording-chain.js';
import { RecordingsRepository } from './recordings.repository.js';
import type { ChunkAck, IncomingChunk, PurgeResult } from './recording.types.js';
import { SessionTail } from './session-tail.js';

/** Largest chunk accepted, decoded (the gRPC server caps whole messages at 8 MiB). */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
/** Seqs stay within what the API's Int can name. */
const MAX_SEQ = 2_147_483_647;
const DAY_MS = 86_400_000;
/** Sessions whose chunks one retention transaction deletes, and batches per run. */
const PURGE_BATCH = 100;
const PURGE_MAX_BATCHES = 100;

/** The `error` strings of refused acknowledgements; the agent's retry logic keys on them. */
export const ACK = {
  UNKNOWN_SESSION: 'unknown session',
  NOT_YOUR_SESSION: 'not your session',
  CHAIN_MISMATCH: 'chain mismatch',
  CONFLICT: 'conflict',
  ALREADY_COMPLETE: 'recording already complete',
  PURGED: 'recording purged by retention',
} as const;

/**
 * Session recordings as agents ship them: each chunk is checked (size, owner, place in the hash
 * chain) and committed once, idempotently on (session, seq); and retention deletes old ones.
 */
@Injectable()
export class RecordingsService {
  constructor(
    private readonly repository: RecordingsRepository,
    private readonly audit: AuditService,
    private readonly tail: SessionTail,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Commits one chunk from `agent` and says how it went. A refused chunk is answered, never
   * thrown; only infrastructure failures (the database is down) throw.
   */
  async ship(agent: Agent, message: RecordingChunk__Output): Promise<ChunkAck> {
    const ack = (committed: boolean, error = ''): ChunkAck => ({
      sessionId: message.sessionId,
      seq: message.seq,
      committed,
      error,
    });
    let chunk: IncomingChunk;
    try {
      chunk = await toIncomingChunk(message);
    } catch (error) {
      if (error instanceof InvalidArgumentError) return ack(false, error.message);
      throw error;
    }
    const context = await this.repository.ingestContext(chunk.sessionId, chunk.seq);
    // The session report travels on the Control stream and may not have landed yet.
    if (!context) return ack(false, ACK.UNKNOWN_SESSION);
    const { session, existing, previous } = context;
    if (session.agentId !== agent.id) {
      this.logger.warn(
        { agentId: agent.id, sessionId: chunk.sessionId, ownerAgentId: session.agentId },
        'recording chunk for another agent’s session refused',
      );
      return ack(false, ACK.NOT_YOUR_SESSION);
    }
    if (existing) return existing.chainHash.equals(chunk.chainHash) ? ack(true) : ack(false, ACK.CONFLICT);
    // Retention deleted this recording: nothing is kept, and the agent may drop its copy.
    if (session.purgedAt) return ack(true, ACK.PURGED);
    if (session.completedAt) return ack(false, ACK.ALREADY_COMPLETE);

    const prev = chunk.seq === 0 ? chainSeed(chunk.sessionId) : previous?.chainHash;
    if (!prev) return ack(false, `gap: expected seq ${await this.repository.nextSeq(chunk.sessionId)}`);
    if (!chainHash(prev, chunk.seq, chunk.final, chunk.data).equals(chunk.chainHash)) {
      await this.chainMismatch(agent, session.connectionId, chunk);
      return ack(false, ACK.CHAIN_MISMATCH);
    }

    const stored = await this.repository.insert(chunk, new Date());
    switch (stored.outcome) {
      case 'exists':
        return stored.chainHash.equals(chunk.chainHash) ? ack(true) : ack(false, ACK.CONFLICT);
      case 'purged':
        return ack(true, ACK.PURGED);
      case 'inserted':
        await this.tail.committed(chunk);
        if (chunk.final) await this.completed(agent, session.connectionId, chunk);
        return ack(true);
    }
  }

  /** Deletes the chunks of sessions that ended longer ago than the retention; audits the counts. */
  async purgeExpired(now = new Date()): Promise<PurgeResult> {
    const days = this.config.recordings.retentionDays;
    const total: PurgeResult = { sessions: 0, chunks: 0, bytes: 0n };
    if (days === 0) return total;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    for (let batch = 0; batch < PURGE_MAX_BATCHES; batch += 1) {
      const purged = await this.repository.purgeEndedBefore(cutoff, now, PURGE_BATCH);
      total.sessions += purged.sessions;
      total.chunks += purged.chunks;
      total.bytes += purged.bytes;
      if (purged.sessions < PURGE_BATCH) break;
    }
    if (total.sessions > 0) {
      this.logger.info({ ...total, bytes: total.bytes.toString(), retentionDays: days }, 'recordings purged');
      await this.audit.record({
        kind: 'recording.retention_purged',
        actorKind: 'system',
        details: {
          sessions: total.sessions,
          chunks: total.chunks,
          bytes: Number(total.bytes),
          retentionDays: days,
          endedBefore: cutoff.toISOString(),
        },
      });
    }
    return total;
  }

  private async chainMismatch(agent: Agent, connectionId: string, chunk: IncomingChunk): Promise<void> {
    this.logger.warn({ agentId: agent.id, sessionId: chunk.sessionId, seq: chunk.seq }, 'recording chain mismatch');
    await this.audit.record({
      kind: 'recording.chain_mismatch',
      actorKind: 'agent',
      actorId: agent.id,
      agentId: agent.id,
      connectionId,
      sessionId: chunk.sessionId,
      details: { seq: chunk.seq, chainHash: chunk.chainHash.toString('hex') },
    });
  }

  /** The final chunk's hash anchors the whole chain: it goes into the audit log. */
  private async completed(agent: Agent, connectionId: string, chunk: IncomingChunk): Promise<void> {
    try {
      await this.audit.record({
        kind: 'recording.completed',
        actorKind: 'agent',
        actorId: agent.id,
        agentId: agent.id,
        connectionId,
        sessionId: chunk.sessionId,
        details: { chunks: chunk.seq + 1, headHash: chunk.chainHash.toString('hex'), truncated: chunk.truncated },
      });
    } catch {
      // Logged by AuditService; the chunk is committed and its acknowledgement must not be lost.
    }
  }
}

/**
 * Validates a chunk from the wire into a domain object, or throws InvalidArgumentError. A
 * compressed chunk is decoded here: its lines are checked and its chain hash is over them.
 */
export async function toIncomingChunk(message: RecordingChunk__Output): Promise<IncomingChunk> {
  if (!UUID.test(message.sessionId)) throw new InvalidArgumentError('invalid session id');
  if (!/^\d{1,10}$/.test(message.seq) || Number(message.seq) > MAX_SEQ) {
    throw new InvalidArgumentError('seq out of range');
  }
  if (message.data.length > MAX_CHUNK_BYTES) {
    throw new InvalidArgumentError(`chunk too large (at most ${MAX_CHUNK_BYTES} bytes)`);
  }
  if (message.chainHash.length !== CHAIN_HASH_BYTES) throw new InvalidArgumentError('invalid chain hash');
  const encoding = encodingFromWire(message.encoding);
  if (encoding === null) throw new InvalidArgumentError(`unsupported encoding ${String(message.encoding)}`);
  let data: Buffer;
  try {
    data = await decodeChunk(message.data, encoding, MAX_CHUNK_BYTES);
  } catch (error) {
    if (error instanceof ChunkDecodingError)
      throw new InvalidArgumentError(`chunk too large or corrupt: ${error.message}`);
    throw error;
  }
  let truncated = false;
  try {
    const last = lastEvent(data);
    truncated = message.final && last?.['truncated'] === true;
  } catch (error) {
    if (error instanceof InvalidEventError) throw new InvalidArgumentError(`invalid data: ${error.message}`);
    throw error;
  }
  return {
    sessionId: message.sessionId.toLowerCase(),
    seq: Number(message.seq),
    data,
    encoded: message.data,
    encoding,
    chainHash: message.chainHash,
    final: message.final,
    truncated,
  };
}
