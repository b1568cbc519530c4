import { Duplex } from 'node:stream';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { TunnelFrame, TunnelFrame__Output } from '@postern/proto';

/** Largest data frame on a tunnel: well below the gRPC message limit (MAX_GRPC_MESSAGE_BYTES). */
export const MAX_TUNNEL_FRAME_BYTES = 1024 * 1024;

/**
 * A relayed client connection as a byte Duplex, so engines serve it exactly like a socket.
 * Backpressure crosses in both directions: a write completes only when gRPC has taken the frame
 * (HTTP/2 flow control per stream), and reading pauses the call while the engine's buffer is full.
 */
export class TunnelStream extends Duplex {
  constructor(private readonly call: ClientDuplexStream<TunnelFrame, TunnelFrame__Output>) {
    super({ allowHalfOpen: false });
    call.on('data', (frame: TunnelFrame__Output) => {
      if (frame.body === 'data' && frame.data) {
        if (!this.push(frame.data)) call.pause();
      } else if (frame.body === 'close') {
        this.push(null);
      }
    });
    call.on('end', () => this.push(null));
    call.on('error', (error: Error & { code?: number }) => {
      // CANCELLED after we ended the stream ourselves is the normal end of a tunnel.
      if (error.code === 1) this.push(null);
      else this.destroy(error);
    });
  }

  override _read(): void {
    this.call.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // One PostgreSQL message may exceed the gRPC message limit (a 20 MiB DataRow): it travels as
    // several frames, which the relay writes to the client back to back. The write completes
    // when the last one is taken, so backpressure still holds per chunk.
    for (let offset = 0; offset < chunk.length; offset += MAX_TUNNEL_FRAME_BYTES) {
      const end = Math.min(chunk.length, offset + MAX_TUNNEL_FRAME_BYTES);
      this.call.write({ data: chunk.subarray(offset, end) }, end === chunk.length ? callback : undefined);
    }
    if (chunk.length === 0) callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.call.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.call.cancel();
    callback(error);
  }
}
