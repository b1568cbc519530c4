import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** One recorded chunk as it sits on disk and travels over the Recording stream. */
export interface SpooledChunk {
  sessionId: string;
  seq: number;
  data: Buffer;
  chainHash: Buffer;
  final: boolean;
}

/** The spool is over its size limit: strict sessions stop, best-effort ones note the gap. */
export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
}

const MAGIC = Buffer.from('PRC1');
const HEADER = MAGIC.length + 1 + 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The seed of a session's chain: binds the chain to its session. */
export function chainSeed(sessionId: string): Buffer {
  return createHash('sha256').update(`postern-recording:${sessionId}`, 'utf8').digest();
}

/** sha256(prev || uint64be(seq) || final || data): the recording's hash chain (see recording.proto). */
export function chainHash(prev: Buffer, seq: number, final: boolean, data: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeBigUInt64BE(BigInt(seq), 0);
  header[8] = final ? 1 : 0;
  return createHash('sha256').update(prev).update(header).update(data).digest();
}

/**
 * The agent's append-only recording spool: one directory per session, one file per chunk,
 * each written to a temporary name, fsynced and renamed, so a crash leaves whole chunks or none.
 * A chunk file is deleted only once the control plane acknowledged committing it.
 *
 * File layout: "PRC1", one flags byte (bit 0: final), the 32-byte chain hash, then the data.
 */
export class RecordingSpool extends EventEmitter {
  private used = 0;
  /** Chunks written and not yet acknowledged, in the order they were written. */
  private readonly queue: { sessionId: string; seq: number; bytes: number; final: boolean }[] = [];

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  /** Reads what a previous run left: those chunks are shipped first, in session and seq order. */
  async init(): Promise<{ sessionId: string; lastSeq: number; lastHash: Buffer; final: boolean }[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const unfinished: { sessionId: string; lastSeq: number; lastHash: Buffer; final: boolean }[] = [];
    for (const sessionId of (await readdir(this.dir)).filter((name) => UUID.test(name)).sort()) {
      const files = (await readdir(join(this.dir, sessionId))).filter((f) => /^\d{12}\.chunk$/.test(f)).sort();
      if (files.length === 0) {
        await rm(join(this.dir, sessionId), { recursive: true, force: true });
        continue;
      }
      for (const file of files) {
        const size = (await stat(join(this.dir, sessionId, file))).size;
        this.used += size;
        this.queue.push({ sessionId, seq: Number(file.slice(0, 12)), bytes: size, final: false });
      }
      const last = await this.read(sessionId, Number(files[files.length - 1]!.slice(0, 12)));
      this.queue[this.queue.length - 1]!.final = last.final;
      unfinished.push({ sessionId, lastSeq: last.seq, lastHash: last.chainHash, final: last.final });
    }
    return unfinished;
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
    const directory = join(this.dir, chunk.sessionId);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const path = join(directory, fileName(chunk.seq));
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      const header = Buffer.alloc(HEADER);
      MAGIC.copy(header, 0);
      header[MAGIC.length] = chunk.final ? 1 : 0;
      chunk.chainHash.copy(header, MAGIC.length + 1);
      await handle.writev([header, chunk.data]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    this.used += size;
    this.queue.push({ sessionId: chunk.sessionId, seq: chunk.seq, bytes: size, final: chunk.final });
    this.emit('chunk', chunk.sessionId, chunk.seq);
  }

  async read(sessionId: string, seq: number): Promise<SpooledChunk> {
    const bytes = await readFile(join(this.dir, sessionId, fileName(seq)));
    if (bytes.length < HEADER || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new Error(`recording chunk ${sessionId}/${seq} is corrupt`);
    }
    return {
      sessionId,
      seq,
      final: (bytes[MAGIC.length]! & 1) === 1,
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
    await unlink(join(this.dir, sessionId, fileName(seq))).catch(ignoreMissing);
    // The directory goes with the final chunk: before that the session may still be writing.
    if (entry!.final) await rm(join(this.dir, sessionId), { recursive: true, force: true });
  }
}

function fileName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.chunk`;
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
