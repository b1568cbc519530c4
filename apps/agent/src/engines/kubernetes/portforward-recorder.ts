import { TextDecoder } from 'node:util';
import {
  decodeHeaders,
  FLAG_FIN,
  frameStreamId,
  HeaderDecompressor,
  readSynStream,
  SpdyFrameReader,
  SpdyType,
  type SpdyFrame,
} from '@postern/policy-kubernetes';
import type { EngineContext } from '../engine.js';
import { FrameTap } from './frame-tap.js';

/** The WebSocket subprotocol kubectl 1.30+ tunnels port-forward's SPDY/3.1 connection in. */
export const PORTFORWARD_TUNNEL = 'SPDY/3.1+portforward.k8s.io';

/** What the kubelet reports on a connection's error stream, kept this long at most. */
const MAX_ERROR_TEXT = 4096;

interface Forwarded {
  requestId: string;
  port: number;
  started: number;
  toPod: number;
  fromPod: number;
  captured: { toPod: Buffer[]; fromPod: Buffer[] };
  error: string;
  clientDone: boolean;
  podDone: boolean;
  errorDone: boolean;
  recorded: boolean;
}

/**
 * Records a port-forward stream (kubectl's SPDY/3.1 connection inside the WebSocket tunnel): per
 * forwarded TCP connection — a `data` and an `error` SPDY stream sharing a `requestID` — one
 * `kubernetes.portforward` event when it ends, with the pod's port, the bytes each way, their
 * first bytes up to the stream's recording cap, and what the kubelet reported. The client's
 * header blocks are inflated to learn ports; frames that do not parse make `failed` fire (the
 * engine then ends the stream).
 */
export class PortForwardRecorder {
  private readonly frames: FrameTap;
  private readonly readers = { client: new SpdyFrameReader(), target: new SpdyFrameReader() };
  private readonly headers = new HeaderDecompressor();
  private readonly streams = new Map<number, { connection: Forwarded; type: 'data' | 'error' }>();
  private readonly connections = new Map<string, Forwarded>();
  private capturedBytes = 0;
  private truncated = false;

  constructor(
    private readonly context: EngineContext,
    readonly stream: number,
    private readonly pod: { namespace: string; name: string },
    private readonly maxBytes: number,
    private readonly failed: (why: string) => void,
  ) {
    this.frames = new FrameTap((data, binary, fromClient) => this.message(data, binary, fromClient), failed);
  }

  client(chunk: Buffer): void {
    this.frames.client(chunk);
  }

  target(chunk: Buffer): void {
    this.frames.target(chunk);
  }

  /** The stream ended: connections still open are recorded as they stand. */
  end(): void {
    for (const connection of this.connections.values()) this.record(connection);
    this.connections.clear();
    this.streams.clear();
    this.frames.destroy();
  }

  private message(data: Buffer, binary: boolean, fromClient: boolean): void {
    if (!binary) return;
    try {
      for (const frame of this.readers[fromClient ? 'client' : 'target'].push(data)) {
        if (fromClient) this.fromClient(frame);
        else this.fromPod(frame);
      }
    } catch (error) {
      this.failed(`port-forward frames: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private fromClient(frame: SpdyFrame): void {
    if (frame.control) {
      if (frame.type === SpdyType.SynStream) {
        const { streamId, headerBlock } = readSynStream(frame.payload);
        const headers = decodeHeaders(this.headers.decompress(headerBlock));
        const type = headers['streamtype'];
        if (type !== 'data' && type !== 'error') return;
        const requestId = headers['requestid'] ?? headers['port'] ?? '';
        const connection = this.connections.get(requestId) ?? this.open(requestId, Number(headers['port']));
        this.streams.set(streamId, { connection, type });
      } else if (frame.type === SpdyType.Headers) {
        // Not needed, but the header stream must be read in order.
        this.headers.decompress(frame.payload.subarray(4));
      } else if (frame.type === SpdyType.RstStream) {
        this.reset(frameStreamId(frame.payload));
      }
      return;
    }
    const entry = this.streams.get(frame.streamId);
    if (entry === undefined || entry.type !== 'data') return;
    const { connection } = entry;
    connection.toPod += frame.data.length;
    this.capture(connection.captured.toPod, frame.data);
    if (frame.flags & FLAG_FIN) {
      connection.clientDone = true;
      this.settle(connection);
    }
  }

  private fromPod(frame: SpdyFrame): void {
    if (frame.control) {
      if (frame.type === SpdyType.RstStream) this.reset(frameStreamId(frame.payload));
      return;
    }
    const entry = this.streams.get(frame.streamId);
    if (entry === undefined) return;
    const { connection } = entry;
    if (entry.type === 'data') {
      connection.fromPod += frame.data.length;
      this.capture(connection.captured.fromPod, frame.data);
      if (frame.flags & FLAG_FIN) connection.podDone = true;
    } else {
      if (connection.error.length < MAX_ERROR_TEXT)
        connection.error += frame.data.toString('utf8').slice(0, MAX_ERROR_TEXT - connection.error.length);
      if (frame.flags & FLAG_FIN) connection.errorDone = true;
    }
    this.settle(connection);
  }

  private open(requestId: string, port: number): Forwarded {
    const connection: Forwarded = {
      requestId,
      port: Number.isInteger(port) ? port : 0,
      started: Date.now(),
      toPod: 0,
      fromPod: 0,
      captured: { toPod: [], fromPod: [] },
      error: '',
      clientDone: false,
      podDone: false,
      errorDone: false,
      recorded: false,
    };
    this.connections.set(requestId, connection);
    return connection;
  }

  private capture(into: Buffer[], data: Buffer): void {
    const room = this.maxBytes - this.capturedBytes;
    if (data.length > room) this.truncated = true;
    if (room <= 0) return;
    const piece = data.length > room ? data.subarray(0, room) : data;
    into.push(Buffer.from(piece));
    this.capturedBytes += piece.length;
  }

  private reset(streamId: number): void {
    const entry = this.streams.get(streamId);
    if (entry !== undefined) this.finish(entry.connection);
  }

  /** A connection is over once both sides closed its data stream and the kubelet its error stream. */
  private settle(connection: Forwarded): void {
    if (connection.clientDone && connection.podDone && connection.errorDone) this.finish(connection);
  }

  private finish(connection: Forwarded): void {
    this.record(connection);
    this.connections.delete(connection.requestId);
    for (const [id, entry] of this.streams) if (entry.connection === connection) this.streams.delete(id);
  }

  private record(connection: Forwarded): void {
    if (connection.recorded) return;
    connection.recorded = true;
    const toPod = Buffer.concat(connection.captured.toPod);
    const fromPod = Buffer.concat(connection.captured.fromPod);
    const text = isUtf8(toPod) && isUtf8(fromPod);
    const encode = (bytes: Buffer) => (text ? bytes.toString('utf8') : bytes.toString('base64'));
    this.context.record('kubernetes.portforward', {
      stream: this.stream,
      namespace: this.pod.namespace,
      pod: this.pod.name,
      port: connection.port,
      requestId: connection.requestId,
      durationMs: Date.now() - connection.started,
      bytesToPod: connection.toPod,
      bytesFromPod: connection.fromPod,
      ...(toPod.length > 0 ? { toPod: encode(toPod) } : {}),
      ...(fromPod.length > 0 ? { fromPod: encode(fromPod) } : {}),
      ...(text ? {} : { base64: true }),
      ...(this.truncated ? { truncated: true } : {}),
      ...(connection.error === '' ? {} : { error: connection.error }),
    });
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
