import type { ChunkEncoding } from './chunk-encoding.js';

/** A session as the recording feature sees it. */
export interface RecordingSession {
  id: string;
  agentId: string;
  connectionId: string;
  principalId: string;
  endedAt: Date | null;
  /** Chunks committed (retention does not lower it). */
  chunks: number;
  bytes: bigint;
  /** When the final chunk was committed; null while the recording is incomplete. */
  completedAt: Date | null;
  /** The agent cut the recording short (its final event says `"truncated": true`). */
  truncated: boolean;
  /** When retention deleted the chunks. */
  purgedAt: Date | null;
}

/** A stored chunk without its data. */
export interface ChunkHead {
  seq: number;
  chainHash: Buffer;
  final: boolean;
}

export interface StoredChunk extends ChunkHead {
  /** The JSON Lines (decoded from the stored encoding). */
  data: Buffer;
}

/** A chunk from an agent, validated. */
export interface IncomingChunk extends StoredChunk {
  sessionId: string;
  /** The data as the agent sent it and as it is stored: `data` encoded as `encoding` says. */
  encoded: Buffer;
  encoding: ChunkEncoding;
  /** For a final chunk: its last event says `"truncated": true`. */
  truncated: boolean;
}

/** What the database holds for a chunk about to be committed. */
export interface IngestContext {
  session: Pick<RecordingSession, 'id' | 'agentId' | 'connectionId' | 'completedAt' | 'purgedAt'>;
  /** The chunk already stored at this seq (a resend), if any. */
  existing: ChunkHead | null;
  /** The chunk stored at seq - 1, if any. */
  previous: ChunkHead | null;
}

export type InsertOutcome =
  | { outcome: 'inserted' }
  /** Another row holds (session, seq): a resend, or a concurrent stream committed it first. */
  | { outcome: 'exists'; chainHash: Buffer }
  | { outcome: 'purged' };

/** Acknowledgement of one chunk, as the Recording stream answers it. */
export interface ChunkAck {
  sessionId: string;
  seq: string;
  committed: boolean;
  error: string;
}

export interface ReplayEvent {
  seq: number;
  index: number;
  at: Date;
  type: string;
  json: string;
}

export interface RecordingPage {
  sessionId: string;
  events: ReplayEvent[];
  /** The seq of the next chunk to read (pass `nextSeq - 1` as afterSeq); null once complete and all read. */
  nextSeq: number | null;
  complete: boolean;
  truncated: boolean;
  purged: boolean;
}

export type ProblemKind = 'missing' | 'modified' | 'reordered' | 'after_final';

export interface RecordingProblem {
  seq: number;
  problem: ProblemKind;
  detail: string;
}

export interface RecordingVerification {
  sessionId: string;
  ok: boolean;
  /** Chunks stored and checked. */
  chunks: number;
  complete: boolean;
  purged: boolean;
  /** Hex chain hash of the last stored chunk (compare with the `recording.completed` audit event). */
  headHash: string | null;
  problems: RecordingProblem[];
}

export interface PurgeResult {
  sessions: number;
  chunks: number;
  bytes: bigint;
}
