import { randomBytes } from 'node:crypto';
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
const BATCH_FILE = /^batch-\d+-[0-9a-f]{8}-\d+\.chunks$/;
/** Seqs a batch frame can hold; a chunk beyond it (never seen in practice) is written alone. */
const MAX_BATCHED_SEQ = 0xffffffff;
/** A chunk's frame in a batch file: its length, the session id (16 bytes) and seq, then the chunk file's bytes. */
const BATCH_FRAME = 4 + 16 + 4;
/** Fresh chunks kept in memory for shipping, at most (older ones are read from disk). */
const MEMORY_BYTES = 32 * 1024 * 1024;

/** Where a chunk written in a batch file sits in it. */
interface BatchedChunk {
  file: string;
  offset: number;
  length: number;
}

/** A final chunk waiting to be written with others. */
interface QueuedFinal {
  chunk: SpooledChunk;
  done: () => void;
  failed: (error: unknown) => void;
}

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
 * Final chunks (a short session's whole recording) that are written while another write of final
 * chunks is on its way to the disk wait for it and then go together into one batch file
 * (`batch-<ms>-<n>.chunks`: temporary name, one fsync, rename; group commit), deleted once every
 * chunk in it is acknowledged. A lone final chunk is written as a file of its own, as before.
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
  /** Chunks that live in batch files, and how many unacknowledged chunks each batch file holds. */
  private readonly batched = new Map<string, BatchedChunk>();
  private readonly batchFiles = new Map<string, number>();
  private readonly finals: QueuedFinal[] = [];
  private writingFinals = false;
  private batchCount = 0;
  /** Names this process's batch files apart from an earlier run's. */
  private readonly batchPrefix = randomBytes(4).toString('hex');

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
      if (name.endsWith('.chunk.tmp') || name.endsWith('.chunks.tmp')) {
        await unlink(join(this.dir, name)).catch(ignoreMissing);
      }
      if (BATCH_FILE.test(name)) {
        for (const { sessionId, seq } of await this.loadBatch(name)) {
          const seqs = found.get(sessionId) ?? [];
          seqs.push(seq);
          found.set(sessionId, seqs);
        }
        continue;
      }
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
        const inBatch = this.batched.get(key(sessionId, seq));
        const size = inBatch?.length ?? (await stat(this.path(sessionId, seq))).size;
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
    if (chunk.final) return this.writeFinal(chunk);
    if (this.used + size > this.maxBytes) {
      throw new SpoolFullError(`recording spool full (${this.used} of ${this.maxBytes} bytes)`);
    }
    await this.writeFile(this.path(chunk.sessionId, chunk.seq), [header(chunk), chunk.data]);
    this.stored(chunk);
  }

  /** Final chunks queued behind a write of final chunks go together in the next one. */
  private async writeFinal(chunk: SpooledChunk): Promise<void> {
    if (chunk.seq > MAX_BATCHED_SEQ) {
      await this.writeFile(this.path(chunk.sessionId, chunk.seq), [header(chunk), chunk.data]);
      return this.stored(chunk);
    }
    return new Promise((done, failed) => {
      this.finals.push({ chunk, done, failed });
      if (!this.writingFinals) void this.drainFinals();
    });
  }

  private async drainFinals(): Promise<void> {
    this.writingFinals = true;
    try {
      while (this.finals.length > 0) {
        const group = this.finals.splice(0, this.finals.length);
        try {
          if (group.length === 1) {
            const { chunk } = group[0]!;
            await this.writeFile(this.path(chunk.sessionId, chunk.seq), [header(chunk), chunk.data]);
          } else {
            await this.writeBatch(group.map((queued) => queued.chunk));
          }
        } catch (error) {
          for (const queued of group) queued.failed(error);
          continue;
        }
        for (const queued of group) {
          this.stored(queued.chunk);
          queued.done();
        }
      }
    } finally {
      this.writingFinals = false;
    }
  }

  /** Several chunks in one new batch file (temporary name, fsync, rename: whole or absent). */
  private async writeBatch(chunks: SpooledChunk[]): Promise<void> {
    this.batchCount += 1;
    const file = `batch-${Date.now()}-${this.batchPrefix}-${this.batchCount}.chunks`;
    const parts: Buffer[] = [];
    const places: BatchedChunk[] = [];
    let offset = 0;
    for (const chunk of chunks) {
      const frame = Buffer.alloc(BATCH_FRAME);
      const length = HEADER + chunk.data.length;
      frame.writeUInt32BE(length, 0);
      Buffer.from(chunk.sessionId.replace(/-/g, ''), 'hex').copy(frame, 4);
      frame.writeUInt32BE(chunk.seq, 20);
      parts.push(frame, header(chunk), chunk.data);
      places.push({ file, offset: offset + BATCH_FRAME, length });
      offset += BATCH_FRAME + length;
    }
    await this.writeFile(join(this.dir, file), parts);
    this.batchFiles.set(file, chunks.length);
    chunks.forEach((chunk, i) => this.batched.set(key(chunk.sessionId, chunk.seq), places[i]!));
  }

  private async writeFile(path: string, parts: Buffer[]): Promise<void> {
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writev(parts);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  }

  /** A chunk is on disk: it is counted, queued for shipping and kept in memory while room allows. */
  private stored(chunk: SpooledChunk): void {
    const size = HEADER + chunk.data.length;
    this.used += size;
    this.queue.push({ sessionId: chunk.sessionId, seq: chunk.seq, bytes: size, final: chunk.final });
    if (this.freshBytes + size <= MEMORY_BYTES) {
      this.fresh.set(key(chunk.sessionId, chunk.seq), chunk);
      this.freshBytes += size;
    }
    this.emit('chunk', chunk.sessionId, chunk.seq);
  }

  /** Indexes a batch file left by an earlier run: where each of its chunks is. */
  private async loadBatch(file: string): Promise<{ sessionId: string; seq: number }[]> {
    const bytes = await readFile(join(this.dir, file));
    const found: { sessionId: string; seq: number }[] = [];
    for (let at = 0; at + BATCH_FRAME <= bytes.length;) {
      const length = bytes.readUInt32BE(at);
      if (at + BATCH_FRAME + length > bytes.length) throw new Error(`recording batch ${file} is corrupt`);
      const hex = bytes.toString('hex', at + 4, at + 20);
      const sessionId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      const seq = bytes.readUInt32BE(at + 20);
      this.batched.set(key(sessionId, seq), { file, offset: at + BATCH_FRAME, length });
      found.push({ sessionId, seq });
      at += BATCH_FRAME + length;
    }
    this.batchFiles.set(file, found.length);
    if (found.length === 0) await unlink(join(this.dir, file)).catch(ignoreMissing);
    return found;
  }

  async read(sessionId: string, seq: number): Promise<SpooledChunk> {
    const kept = this.fresh.get(key(sessionId, seq));
    if (kept !== undefined) return kept;
    const place = this.batched.get(key(sessionId, seq));
    const bytes =
      place === undefined
        ? await readFile(this.path(sessionId, seq))
        : (await readFile(join(this.dir, place.file))).subarray(place.offset, place.offset + place.length);
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
      await this.remove(sessionId, seq);
    } else if (previous === undefined || previous < seq) {
      this.kept.set(sessionId, seq);
    } else {
      remove = seq;
    }
    if (remove !== undefined) await unlink(this.path(sessionId, remove)).catch(ignoreMissing);
  }

  /** Deletes an acknowledged final chunk: its file, or its share of a batch file (the last one deletes it). */
  private async remove(sessionId: string, seq: number): Promise<void> {
    const place = this.batched.get(key(sessionId, seq));
    if (place === undefined) return unlink(this.path(sessionId, seq)).catch(ignoreMissing);
    this.batched.delete(key(sessionId, seq));
    const left = (this.batchFiles.get(place.file) ?? 1) - 1;
    if (left > 0) return void this.batchFiles.set(place.file, left);
    this.batchFiles.delete(place.file);
    await unlink(join(this.dir, place.file)).catch(ignoreMissing);
  }

  private path(sessionId: string, seq: number): string {
    return join(this.dir, `${sessionId}.${fileName(seq)}`);
  }
}

/** The chunk file's first bytes: magic, flags (final, gzip), chain hash. */
function header(chunk: SpooledChunk): Buffer {
  const bytes = Buffer.alloc(HEADER);
  MAGIC.copy(bytes, 0);
  bytes[MAGIC.length] = (chunk.final ? FLAG_FINAL : 0) | (chunk.encoding === 'gzip' ? FLAG_GZIP : 0);
  chunk.chainHash.copy(bytes, MAGIC.length + 1);
  return bytes;
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
