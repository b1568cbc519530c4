import type { Socket } from 'node:net';
import { SpdyServerConnection, type SpdyServerStream, type SpdyTransport } from './spdy-server.js';

/** Opens a TCP connection to a pod's port (the stand-in maps pod ports to real local services). */
export type PodPortDialer = (port: number) => Promise<Socket>;

/**
 * The kubelet's side of port-forward (portforward.k8s.io over SPDY/3.1, as client-go's
 * tools/portforward speaks it): per forwarded connection the client opens an `error` stream and
 * a `data` stream with the same `port` and `requestID` headers; the server dials the pod's port,
 * copies bytes both ways on the data stream, half-closes it when the service does, and writes
 * a failure (if any) on the error stream before closing it.
 */
export function servePortForward(transport: SpdyTransport, dial: PodPortDialer): SpdyServerConnection {
  const pairs = new Map<string, { data?: SpdyServerStream; error?: SpdyServerStream }>();
  return new SpdyServerConnection(transport, (stream) => {
    const type = stream.headers['streamtype'];
    const port = Number(stream.headers['port']);
    if ((type !== 'data' && type !== 'error') || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.reset();
      return;
    }
    const key = stream.headers['requestid'] ?? String(port);
    const pair = pairs.get(key) ?? {};
    pair[type] = stream;
    pairs.set(key, pair);
    if (pair.data !== undefined && pair.error !== undefined) {
      pairs.delete(key);
      forward(pair.data, pair.error, port, dial);
    }
  });
}

function forward(data: SpdyServerStream, error: SpdyServerStream, port: number, dial: PodPortDialer): void {
  const early: Buffer[] = [];
  let clientDone = false;
  const buffer = (chunk: Buffer) => early.push(chunk);
  const bufferEnd = () => (clientDone = true);
  data.on('data', buffer);
  data.on('end', bufferEnd);
  dial(port).then(
    (socket) => {
      data.off('data', buffer);
      data.off('end', bufferEnd);
      if (data.closed) {
        socket.destroy();
        return;
      }
      for (const chunk of early) socket.write(chunk);
      if (clientDone) socket.end();
      data.on('data', (chunk: Buffer) => socket.write(chunk));
      data.on('end', () => socket.end());
      data.on('close', () => socket.destroy());
      socket.on('data', (chunk: Buffer) => data.write(chunk));
      socket.on('end', () => {
        data.end();
        error.end();
      });
      socket.on('error', (cause: Error) => {
        error.end(Buffer.from(`error forwarding port ${port}: ${cause.message}`));
        data.end();
      });
    },
    (cause: Error) => {
      error.end(Buffer.from(`error forwarding port ${port} to pod: ${cause.message}`));
      data.end();
    },
  );
}
