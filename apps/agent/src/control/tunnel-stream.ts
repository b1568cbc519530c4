import { Duplex } from 'node:stream';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { TunnelFrame, TunnelFrame__Output } from '@postern/proto';

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
    this.call.write({ data: chunk }, callback);
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
