import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** How a chunk's data is encoded: the JSON Lines themselves, or gzip-compressed. */
export type ChunkEncoding = 'jsonl' | 'gzip';

/** One recorded chunk as it sits on disk and travels over the Recording stream. */
export interface SpooledChunk {
  sessionId: string;
  seq: number;
  /** Encoded as `encoding` says; the chain hash is over the decoded JSON Lines. */
  data: Buffer;
  encoding: ChunkEncoding;
  chainHash: Buffer;
  final: boolean;
}

/** The spool is over its size limit: strict sessions stop, best-effort ones note the gap. */
export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
}

const MAGIC = Buffer.from('PRC1');
const FLAG_FINAL = 1;
const FLAG_GZIP = 2;
const HEADER = MAGIC.length + 1 + 32;
const CHUNK_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{12})\.chunk$/;
/** Fresh chunks kept in memory for shipping, at most (older ones are read from disk). */
const MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * The agent's append-only recording spool: one file per chunk (`<session>.<seq>.chunk`, in one
 * directory, so a short session costs no directory operations), each written to a temporary
 * name, fsynced and renamed, so a crash leaves whole chunks or none. A chunk file is deleted only
 * once the control plane acknowledged committing it. Chunks written by this process are also kept
 * in memory (bounded) until acknowledged, so shipping them costs no read back from disk.
 *
 * File layout: "PRC1", one flags byte (bit 0: final, bit 1: data gzip-compressed), the 32-byte
 * chain hash, then the data.
 *
 * The last acknowledged chunk of a recording not yet final stays on disk (it is deleted when the
 * next one is acknowledged, at the cost of the one delete there was anyway): if the agent dies, the
 * next run knows the session and its chain's end and closes the recording as interrupted, even
 * when every chunk had been shipped. That chunk is shipped again then; the control plane answers
 * a chunk it holds with the same hash as committed.
 */
export class RecordingSpool extends EventEmitter {
  private used = 0;
  /** Chunks written and not yet acknowledged, in the order they were written. */
  private readonly queue: { sessionId: string; seq: number; bytes: number; final: boolean }[] = [];
  private readonly fresh = new Map<string, SpooledChunk>();
  private freshBytes = 0;
  /** Recordings not final: the seq of their last acknowledged chunk, kept on disk. */
  private readonly kept = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  /** Reads what a previous run left: those chunks are shipped first, in session and seq order. */
  async init(): Promise<{ sessionId: string; lastSeq: number; lastHash: Buffer; final: boolean }[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const found = new Map<string, number[]>();
    for (const name of await readdir(this.dir)) {
      // A chunk whose write a crash interrupted was never renamed: its events went with the crash
      // (the recording is closed as interrupted from the last whole chunk), the partial file goes.
      if (name.endsWith('.chunk.tmp')) await unlink(join(this.dir, name)).catch(ignoreMissing);
      const match = CHUNK_FILE.exec(name);
      if (!match) continue;
      const seqs = found.get(match[1]!) ?? [];
      seqs.push(Number(match[2]));
      found.set(match[1]!, seqs);
    }
    const unfinished: { sessionId: string; lastSeq: number; lastHash: Buffer; final: boolean }[] = [];
    for (const sessionId of [...found.keys()].sort()) {
      const seqs = found.get(sessionId)!.sort((a, b) => a - b);
      for (const seq of seqs) {
        const size = (await stat(this.path(sessionId, seq))).size;
        this.used += size;
        this.queue.push({ sessionId, seq, bytes: size, final: false });
      }
      const last = await this.read(sessionId, seqs[seqs.length - 1]!);
      this.queue[this.queue.length - 1]!.final = last.final;
      unfinished.push({ sessionId, lastSeq: last.seq, lastHash: last.chainHash, final: last.final });
    }
    return unfinished;
  }

  /** Chunks written and not yet acknowledged by the control plane. */
  get pendingChunks(): number {
    return this.queue.length;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Chunks not yet acknowledged, oldest first. */
  pending(): { sessionId: string; seq: number }[] {
    return this.queue.map(({ sessionId, seq }) => ({ sessionId, seq }));
  }

  async write(chunk: SpooledChunk): Promise<void> {
    const size = HEADER + chunk.data.length;
    // A final chunk is always accepted: it is small, and it is what says a recording is complete.
    if (!chunk.final && this.used + size > this.maxBytes) {
      throw new SpoolFullError(`recording spool full (${this.used} of ${this.maxBytes} bytes)`);
    }
    const path = this.path(chunk.sessionId, chunk.seq);
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      const header = Buffer.alloc(HEADER);
      MAGIC.copy(header, 0);
      header[MAGIC.length] = (chunk.final ? FLAG_FINAL : 0) | (chunk.encoding === 'gzip' ? FLAG_GZIP : 0);
      chunk.chainHash.copy(header, MAGIC.length + 1);
      await handle.writev([header, chunk.data]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    this.used += size;
    this.queue.push({ sessionId: chunk.sessionId, seq: chunk.seq, bytes: size, final: chunk.final });
    if (this.freshBytes + size <= MEMORY_BYTES) {
      this.fresh.set(key(chunk.sessionId, chunk.seq), chunk);
      this.freshBytes += size;
    }
    this.emit('chunk', chunk.sessionId, chunk.seq);
  }

  async read(sessionId: string, seq: number): Promise<SpooledChunk> {
    const kept = this.fresh.get(key(sessionId, seq));
    if (kept !== undefined) return kept;
    const bytes = await readFile(this.path(sessionId, seq));
    if (bytes.length < HEADER || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new Error(`recording chunk ${sessionId}/${seq} is corrupt`);
    }
    return {
      sessionId,
      seq,
      final: (bytes[MAGIC.length]! & FLAG_FINAL) !== 0,
      encoding: (bytes[MAGIC.length]! & FLAG_GZIP) !== 0 ? 'gzip' : 'jsonl',
      chainHash: bytes.subarray(MAGIC.length + 1, HEADER),
      data: bytes.subarray(HEADER),
    };
  }

  /** The control plane committed this chunk: it leaves the spool. */
  async acknowledge(sessionId: string, seq: number): Promise<void> {
    const index = this.queue.findIndex((c) => c.sessionId === sessionId && c.seq === seq);
    if (index < 0) return;
    const [entry] = this.queue.splice(index, 1);
    this.used -= entry!.bytes;
    if (this.fresh.delete(key(sessionId, seq))) this.freshBytes -= entry!.bytes;
    const previous = this.kept.get(sessionId);
    let remove = previous;
    if (entry!.final) {
      this.kept.delete(sessionId);
      await unlink(this.path(sessionId, seq)).catch(ignoreMissing);
    } else if (previous === undefined || previous < seq) {
      this.kept.set(sessionId, seq);
    } else {
      remove = seq;
    }
    if (remove !== undefined) await unlink(this.path(sessionId, remove)).catch(ignoreMissing);
  }

  private path(sessionId: string, seq: number): string {
    return join(this.dir, `${sessionId}.${fileName(seq)}`);
  }
}

function key(sessionId: string, seq: number): string {
  return `${sessionId}/${seq}`;
}

function fileName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.chunk`;
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
