/*
 * A passive reader of an SFTP (version 3) conversation, for the recording: the bytes are
 * forwarded untouched elsewhere; this only learns which files were opened, read, written,
 * removed or renamed, and how many bytes moved. Packets are `uint32 length, byte type, …`;
 * only the first PREFIX_LIMIT bytes of each are kept (paths and handles live there), the rest —
 * file data — is counted and skipped, so no data is copied.
 */

const enum Fxp {
  Open = 3,
  Close = 4,
  Read = 5,
  Write = 6,
  Setstat = 9,
  Opendir = 11,
  Remove = 13,
  Mkdir = 14,
  Rmdir = 15,
  Rename = 18,
  Symlink = 20,
  Status = 101,
  Handle = 102,
  Data = 103,
}

/** Bytes of each packet kept for decoding (type, id, handle, paths). */
const PREFIX_LIMIT = 8 * 1024;

/** Splits one direction's bytes into packets: `onPacket(prefix, length)` with at most PREFIX_LIMIT body bytes. */
export class SftpPacketReader {
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthHave = 0;
  private bodyLength = -1;
  private prefix: Buffer | null = null;
  private prefixHave = 0;
  private skip = 0;

  constructor(private readonly onPacket: (prefix: Buffer, length: number) => void) {}

  feed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLength < 0) {
        const take = Math.min(4 - this.lengthHave, chunk.length - offset);
        chunk.copy(this.lengthBytes, this.lengthHave, offset, offset + take);
        this.lengthHave += take;
        offset += take;
        if (this.lengthHave < 4) return;
        this.bodyLength = this.lengthBytes.readUInt32BE(0);
        this.prefix = Buffer.allocUnsafe(Math.min(this.bodyLength, PREFIX_LIMIT));
        this.prefixHave = 0;
        this.skip = this.bodyLength - this.prefix.length;
      }
      const prefix = this.prefix!;
      if (this.prefixHave < prefix.length) {
        const take = Math.min(prefix.length - this.prefixHave, chunk.length - offset);
        chunk.copy(prefix, this.prefixHave, offset, offset + take);
        this.prefixHave += take;
        offset += take;
        if (this.prefixHave < prefix.length) return;
      }
      const skipped = Math.min(this.skip, chunk.length - offset);
      this.skip -= skipped;
      offset += skipped;
      if (this.skip > 0) return;
      const length = this.bodyLength;
      this.bodyLength = -1;
      this.lengthHave = 0;
      this.prefix = null;
      this.onPacket(prefix, length);
    }
  }
}

export interface SftpOperation {
  op: 'read' | 'write' | 'list' | 'remove' | 'mkdir' | 'rmdir' | 'rename' | 'setstat' | 'symlink';
  path: string;
  /** rename, symlink: the second path. */
  target?: string;
  /** read/write: bytes moved through the handle. */
  bytes?: number;
  /** The server's answer: 'ok' or its SSH_FX status code; null when none came. */
  status: string | null;
}

interface OpenFile {
  path: string;
  op: 'read' | 'write' | 'list';
  bytesRead: number;
  bytesWritten: number;
}

const STATUS_TEXT = ['ok', 'eof', 'no such file', 'permission denied', 'failure', 'bad message'];

/**
 * Pairs requests with responses by id: a file operation is reported once its handle is closed
 * (with the bytes read and written through it), a path operation once the server answered it.
 */
export class SftpObserver {
  readonly fromClient = new SftpPacketReader((prefix, length) => this.request(prefix, length));
  readonly fromServer = new SftpPacketReader((prefix, length) => this.response(prefix, length));
  private readonly pending = new Map<
    number,
    | { kind: 'open'; file: OpenFile }
    | { kind: 'path'; op: SftpOperation }
    | { kind: 'read'; handle: string }
    | { kind: 'close'; handle: string }
  >();
  private readonly handles = new Map<string, OpenFile>();

  constructor(private readonly report: (operation: SftpOperation) => void) {}

  /** Reports the files still open (the channel ended without closing them). */
  end(): void {
    for (const file of this.handles.values()) this.reportFile(file, null);
    this.handles.clear();
  }

  private request(body: Buffer, length: number): void {
    const cursor = new Cursor(body);
    const type = cursor.byte();
    if (type === null || type < Fxp.Open) return; // INIT/VERSION carry no id
    const id = cursor.uint32();
    if (id === null) return;
    switch (type) {
      case Fxp.Open: {
        const path = cursor.text();
        const flags = cursor.uint32();
        if (path === null || flags === null) return;
        // SSH_FXF_READ = 1, SSH_FXF_WRITE = 2.
        this.pending.set(id, {
          kind: 'open',
          file: { path, op: flags & 2 ? 'write' : 'read', bytesRead: 0, bytesWritten: 0 },
        });
        return;
      }
      case Fxp.Opendir: {
        const path = cursor.text();
        if (path !== null)
          this.pending.set(id, { kind: 'open', file: { path, op: 'list', bytesRead: 0, bytesWritten: 0 } });
        return;
      }
      case Fxp.Read: {
        const handle = cursor.handle();
        if (handle !== null) this.pending.set(id, { kind: 'read', handle });
        return;
      }
      case Fxp.Write: {
        const handle = cursor.handle();
        const file = handle === null ? undefined : this.handles.get(handle);
        // type, id, handle (4 + n), offset (8), data length (4), then the data.
        if (file !== undefined) file.bytesWritten += length - cursor.offset - 12;
        return;
      }
      case Fxp.Close: {
        const handle = cursor.handle();
        if (handle !== null) this.pending.set(id, { kind: 'close', handle });
        return;
      }
      case Fxp.Remove:
      case Fxp.Mkdir:
      case Fxp.Rmdir:
      case Fxp.Setstat: {
        const path = cursor.text();
        const op =
          type === Fxp.Remove ? 'remove' : type === Fxp.Mkdir ? 'mkdir' : type === Fxp.Rmdir ? 'rmdir' : 'setstat';
        if (path !== null) this.pending.set(id, { kind: 'path', op: { op, path, status: null } });
        return;
      }
      case Fxp.Rename:
      case Fxp.Symlink: {
        const path = cursor.text();
        const target = cursor.text();
        if (path !== null && target !== null) {
          this.pending.set(id, {
            kind: 'path',
            op: { op: type === Fxp.Rename ? 'rename' : 'symlink', path, target, status: null },
          });
        }
        return;
      }
    }
  }

  private response(body: Buffer, length: number): void {
    const cursor = new Cursor(body);
    const type = cursor.byte();
    const id = cursor.uint32();
    if (type === null || id === null) return;
    const request = this.pending.get(id);
    if (request === undefined) return;
    this.pending.delete(id);
    if (type === Fxp.Handle && request.kind === 'open') {
      const handle = cursor.handle();
      if (handle !== null) this.handles.set(handle, request.file);
      return;
    }
    if (type === Fxp.Data && request.kind === 'read') {
      const file = this.handles.get(request.handle);
      if (file !== undefined) file.bytesRead += length - 9; // type, id, data length
      return;
    }
    if (type !== Fxp.Status) return;
    const code = cursor.uint32();
    const status = code === null ? null : (STATUS_TEXT[code] ?? `status ${code}`);
    if (request.kind === 'path') this.report({ ...request.op, status });
    else if (request.kind === 'open') this.report({ op: request.file.op, path: request.file.path, status });
    else if (request.kind === 'close') {
      const file = this.handles.get(request.handle);
      this.handles.delete(request.handle);
      if (file !== undefined) this.reportFile(file, status);
    }
  }

  private reportFile(file: OpenFile, status: string | null): void {
    const bytes = file.op === 'write' ? file.bytesWritten : file.bytesRead;
    this.report({ op: file.op, path: file.path, ...(file.op === 'list' ? {} : { bytes }), status });
  }
}

/** Reads SFTP fields from a packet prefix; null when the field is cut off. */
class Cursor {
  offset = 0;

  constructor(private readonly body: Buffer) {}

  byte(): number | null {
    if (this.offset + 1 > this.body.length) return null;
    return this.body[this.offset++]!;
  }

  uint32(): number | null {
    if (this.offset + 4 > this.body.length) return null;
    const value = this.body.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  private bytes(): Buffer | null {
    const length = this.uint32();
    if (length === null || this.offset + length > this.body.length) return null;
    const value = this.body.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  text(): string | null {
    return this.bytes()?.toString('utf8') ?? null;
  }

  handle(): string | null {
    return this.bytes()?.toString('hex') ?? null;
  }
}
