import { EventEmitter } from 'node:events';
import {
  controlFrame,
  dataFrames,
  decodeHeaders,
  encodeHeaders,
  frameStreamId,
  goAway,
  HeaderCompressor,
  HeaderDecompressor,
  readSynStream,
  rstStream,
  SpdyFrameReader,
  SpdyType,
  synReply,
  FLAG_FIN,
  type SpdyFrame,
} from '@postern/policy-kubernetes';

/** Where a SPDY connection's bytes go: a raw upgraded socket or a WebSocket tunnel. */
export interface SpdyTransport {
  write(data: Buffer): void;
  close(): void;
}

/**
 * One stream the client opened (SYN_STREAM). Emits 'data' (Buffer), 'end' (the client's FIN)
 * and 'close' (reset or the connection ended).
 */
export class SpdyServerStream extends EventEmitter {
  private finSent = false;
  closed = false;

  constructor(
    readonly id: number,
    readonly headers: Record<string, string>,
    private readonly connection: SpdyServerConnection,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.finSent || this.closed || data.length === 0) return;
    this.connection.send(...dataFrames(this.id, data));
  }

  /** Half-closes the stream from the server's side (DATA with FIN). */
  end(data: Buffer = Buffer.alloc(0)): void {
    if (this.finSent || this.closed) return;
    this.finSent = true;
    this.connection.send(...dataFrames(this.id, data, true));
  }

  reset(): void {
    if (this.closed) return;
    this.connection.send(rstStream(this.id, 5 /* CANCEL */));
    this.closed = true;
    this.emit('close');
  }
}

/**
 * The server side of a SPDY/3.1 connection as the kubelet's (httpstream/spdy) is: every stream
 * the client opens is accepted at once (SYN_REPLY with no headers) and handed to `onStream`;
 * PINGs are answered; GOAWAY, a malformed frame or `close()` end every stream. Flow control
 * (WINDOW_UPDATE) is not enforced, as spdystream does not enforce it either.
 */
export class SpdyServerConnection {
  private readonly reader = new SpdyFrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyServerStream>();
  private lastStreamId = 0;
  private ended = false;

  constructor(
    private readonly transport: SpdyTransport,
    private readonly onStream: (stream: SpdyServerStream) => void,
  ) {}

  get open(): boolean {
    return !this.ended;
  }

  receive(chunk: Buffer): void {
    if (this.ended) return;
    try {
      for (const frame of this.reader.push(chunk)) this.handle(frame);
    } catch {
      this.send(goAway(this.lastStreamId, 1 /* PROTOCOL_ERROR */));
      this.close();
    }
  }

  send(...frames: Buffer[]): void {
    if (!this.ended) for (const frame of frames) this.transport.write(frame);
  }

  /** Ends every stream and the transport (the client's connection went away, or the server quits). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of this.streams.values()) {
      stream.closed = true;
      stream.emit('close');
    }
    this.streams.clear();
    this.transport.close();
  }

  private handle(frame: SpdyFrame): void {
    if (!frame.control) {
      const stream = this.streams.get(frame.streamId);
      if (stream === undefined) return;
      if (frame.data.length > 0) stream.emit('data', frame.data);
      if (frame.flags & FLAG_FIN) stream.emit('end');
      return;
    }
    switch (frame.type) {
      case SpdyType.SynStream: {
        const { streamId, headerBlock } = readSynStream(frame.payload);
        const headers = decodeHeaders(this.decompressor.decompress(headerBlock));
        this.lastStreamId = Math.max(this.lastStreamId, streamId);
        const stream = new SpdyServerStream(streamId, headers, this);
        this.streams.set(streamId, stream);
        stream.once('close', () => this.streams.delete(streamId));
        this.send(synReply(streamId, this.compressor.compress(encodeHeaders({}))));
        this.onStream(stream);
        if (frame.flags & FLAG_FIN) stream.emit('end');
        return;
      }
      case SpdyType.RstStream: {
        const stream = this.streams.get(frameStreamId(frame.payload));
        if (stream !== undefined) {
          stream.closed = true;
          stream.emit('close');
        }
        return;
      }
      case SpdyType.Ping:
        this.send(controlFrame(SpdyType.Ping, 0, frame.payload));
        return;
      case SpdyType.GoAway:
        this.close();
        return;
      case SpdyType.Headers:
        // Read (the zlib stream must stay in step) and ignored.
        this.decompressor.decompress(frame.payload.subarray(4));
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: nothing to do for the stand-in.
        return;
    }
  }
}
