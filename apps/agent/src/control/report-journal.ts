import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentMessage } from '@postern/proto';

/** A report kept until the control plane acknowledges storing it. */
export interface JournalEntry {
  seq: number;
  message: AgentMessage;
  bytes: number;
}

const FILE = 'reports.journal';
/** The file is rewritten with only the unacknowledged entries once it grows past this. */
const COMPACT_BYTES = 4 * 1024 * 1024;
const ACK_WRITE_DELAY_MS = 1_000;

/**
 * The agent's reports to the control plane (sessions opened and closed, audit events) on disk
 * until the control plane says it stored them, so that neither a control-plane outage, nor its
 * database going away, nor the agent itself being killed loses one.
 *
 * Each report gets a sequence number and is appended as one JSON line `{"s":seq,"m":message}`;
 * an acknowledgement appends `{"a":seq}` (everything up to seq is stored). Reports of one tick,
 * and all those queued while the previous write was on its way to the disk, are written and
 * fdatasynced together (group commit) off the session's path; the report goes to
 * the control plane at once and the disk write only guarantees the resend. Acknowledgements ride
 * along with the next reports, or are written on their own after `ACK_WRITE_DELAY_MS`, without
 * fdatasync: an acknowledgement lost in a crash only makes the control plane see a report again,
 * which it stores idempotently. On start the file is
 * replayed: entries not covered by an acknowledgement are sent again after the next welcome (the
 * control plane stores every report idempotently). A torn last line (a crash mid-write) is
 * dropped: it was never acknowledged to anyone.
 *
 * Bounded: beyond `maxBytes` of unacknowledged reports the oldest are dropped, and logged.
 */
export class ReportJournal {
  /** Unacknowledged reports are `entries[head…]`: acks and drops move `head` (O(1) each). */
  private entries: JournalEntry[] = [];
  private head = 0;
  /** Sessions whose `session_opened` report is not acknowledged yet. */
  private readonly opening = new Set<string>();
  private unackedBytes = 0;
  private nextSeq = 1;
  private handle: FileHandle | null = null;
  private fileBytes = 0;
  private lines: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  /** A write (and the ones queued behind it) is on its way to the disk. */
  private draining = false;
  /** The newest acknowledgement not yet written, and the timer that writes it alone. */
  private ackLine: string | null = null;
  private ackTimer: NodeJS.Timeout | undefined;
  /** Reports dropped because the journal was full (since start). */
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly onWriteError: (error: Error) => void,
  ) {}

  /** Reports kept until the control plane acknowledges storing them: how many, and their bytes. */
  get backlog(): { entries: number; bytes: number } {
    return { entries: this.entries.length - this.head, bytes: this.unackedBytes };
  }

  get path(): string {
    return join(this.dir, FILE);
  }

  /** Reads what a previous run left unacknowledged; returns how many reports that is. */
  async init(): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    let acked = 0;
    // A compaction may have written an entry that a queued append then wrote again: one per seq.
    const found = new Map<number, JournalEntry>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let record: { s?: number; m?: AgentMessage; a?: number };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        continue; // torn by a crash mid-write
      }
      if (typeof record.a === 'number') acked = Math.max(acked, record.a);
      else if (typeof record.s === 'number' && record.m) {
        found.set(record.s, { seq: record.s, message: record.m, bytes: Buffer.byteLength(line) + 1 });
        this.nextSeq = Math.max(this.nextSeq, record.s + 1);
      }
    }
    this.entries = [...found.values()].sort((a, b) => a.seq - b.seq);
    for (const entry of this.entries) this.noteOpening(entry);
    this.nextSeq = Math.max(this.nextSeq, acked + 1);
    this.unackedBytes = this.entries.reduce((sum, entry) => sum + entry.bytes, 0);
    this.dropAcked(acked);
    this.trim();
    // Start from a file holding exactly the unacknowledged entries.
    await this.rewrite();
    return this.entries.length - this.head;
  }

  /** Records a report; returns its sequence number. */
  append(message: AgentMessage): JournalEntry {
    const seq = this.nextSeq++;
    const line = JSON.stringify({ s: seq, m: message });
    const entry = { seq, message, bytes: Buffer.byteLength(line) + 1 };
    this.entries.push(entry);
    this.noteOpening(entry);
    this.unackedBytes += entry.bytes;
    this.trim();
    this.queue(line);
    return entry;
  }

  private trim(): void {
    while (this.unackedBytes > this.maxBytes && this.entries.length - this.head > 1) {
      this.forget(this.entries[this.head]!);
      this.head += 1;
      this.dropped += 1;
    }
    this.compact();
  }

  /** Drops the forgotten prefix once it is most of the array (amortised O(1) per entry). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** The control plane stored every report up to `seq`. */
  ack(seq: number): void {
    if (!this.dropAcked(seq)) return;
    this.ackLine = JSON.stringify({ a: seq });
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      if (this.ackLine !== null) this.writeQueued();
    }, ACK_WRITE_DELAY_MS);
    this.ackTimer.unref();
  }

  /** Whether the control plane stored this session's opening (or it is not this journal's to tell). */
  openingStored(sessionId: string): boolean {
    return !this.opening.has(sessionId);
  }

  private noteOpening(entry: JournalEntry): void {
    const opened = entry.message.sessionOpened?.sessionId;
    if (opened) this.opening.add(opened);
  }

  private forget(entry: JournalEntry): void {
    this.unackedBytes -= entry.bytes;
    const opened = entry.message.sessionOpened?.sessionId;
    if (opened) this.opening.delete(opened);
  }

  /** Sessions reported opened and not closed among the unacknowledged reports. */
  unclosedSessions(): string[] {
    const open = new Set<string>();
    for (const { message } of this.pending()) {
      if (message.sessionOpened?.sessionId) open.add(message.sessionOpened.sessionId);
      if (message.sessionClosed?.sessionId) open.delete(message.sessionClosed.sessionId);
    }
    return [...open];
  }

  /** Reports not yet acknowledged, oldest first. */
  pending(): readonly JournalEntry[] {
    return this.head === 0 ? this.entries : this.entries.slice(this.head);
  }

  /** Waits for every queued write to reach the disk. */
  async flush(): Promise<void> {
    this.scheduled = false;
    // A write ending just now may not have seen what was queued after its last look: go again.
    do {
      this.writeQueued();
      await this.writing;
    } while (this.lines.length > 0 || this.ackLine !== null);
  }

  async close(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    await this.flush();
    await this.handle?.close();
    this.handle = null;
  }

  private dropAcked(seq: number): boolean {
    const start = this.head;
    while (this.head < this.entries.length && this.entries[this.head]!.seq <= seq) {
      this.forget(this.entries[this.head]!);
      this.head += 1;
    }
    if (this.head === start) return false;
    this.compact();
    return true;
  }

  private queue(line: string): void {
    this.lines.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      if (!this.scheduled) return;
      this.scheduled = false;
      this.writeQueued();
    });
  }

  /**
   * Appends what is queued (reports, then the newest acknowledgement) in one write, fdatasynced
   * when it holds reports. While a write is on its way to the disk, what is queued meanwhile
   * waits for it and then goes in the next write together (group commit): a burst of sessions
   * opening and closing costs one write and one fdatasync per disk round trip, not per tick.
   */
  private writeQueued(): void {
    if (this.lines.length === 0 && this.ackLine === null) return;
    if (this.draining) return;
    this.draining = true;
    this.writing = this.drain()
      .catch((error: unknown) => this.onWriteError(error as Error))
      .finally(() => {
        this.draining = false;
      });
  }

  private async drain(): Promise<void> {
    while (this.lines.length > 0 || this.ackLine !== null) {
      const lines = this.lines;
      const durable = lines.length > 0;
      if (this.ackLine !== null) lines.push(this.ackLine);
      this.ackLine = null;
      this.lines = [];
      const data = lines.join('\n') + '\n';
      if (!this.handle) this.handle = await open(this.path, 'a', 0o600);
      await this.handle.write(data);
      if (durable) await this.handle.datasync();
      this.fileBytes += Buffer.byteLength(data);
      if (this.fileBytes > COMPACT_BYTES && this.unackedBytes < this.fileBytes / 2) await this.rewrite();
    }
  }

  /** Replaces the file with the unacknowledged entries only (temporary file, fsync, rename). */
  private async rewrite(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    const temporary = `${this.path}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      const data = this.pending()
        .map((entry) => `${JSON.stringify({ s: entry.seq, m: entry.message })}\n`)
        .join('');
      await handle.write(data);
      await handle.datasync();
      this.fileBytes = Buffer.byteLength(data);
    } finally {
      await handle.close();
    }
    await rename(temporary, this.path);
    this.handle = await open(this.path, 'a', 0o600);
  }
}
