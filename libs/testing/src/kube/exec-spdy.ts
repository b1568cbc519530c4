import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { CLOSE, STATUS, STDERR, STDIN, STDOUT } from './exec.js';
import { SpdyServerConnection, type SpdyServerStream, type SpdyTransport } from './spdy-server.js';

/**
 * exec over SPDY/3.1 (remote-command `v4.channel.k8s.io`, kubectl's fallback when its WebSocket
 * is refused, and the only way before 1.30): one stream per channel, named by its `streamType`
 * header (error, stdin, stdout, stderr, resize). Once the streams the query asks for are open,
 * the same pretend process as over WebSocket runs (exec.ts), through an adapter that speaks to
 * it as a WebSocket would; the exit Status goes on the error stream, then every stream is closed.
 */
export function serveSpdyExec(
  transport: SpdyTransport,
  query: URLSearchParams,
  run: (socket: WebSocket) => void,
): SpdyServerConnection {
  const flag = (name: string) => query.get(name) === 'true' || query.get(name) === '1';
  const tty = flag('tty');
  const expected = new Set(['error']);
  if (flag('stdin')) expected.add('stdin');
  if (flag('stdout')) expected.add('stdout');
  if (flag('stderr') && !tty) expected.add('stderr');
  if (tty) expected.add('resize');
  const streams = new Map<string, SpdyServerStream>();
  let started = false;
  const connection = new SpdyServerConnection(transport, (stream) => {
    const type = stream.headers['streamtype'] ?? '';
    if (!expected.has(type) || streams.has(type)) {
      stream.reset();
      return;
    }
    streams.set(type, stream);
    if (!started && streams.size === expected.size) {
      started = true;
      run(new SpdyExecSocket(streams) as unknown as WebSocket);
    }
  });
  return connection;
}

/** The part of ws's WebSocket that exec.ts uses, over the SPDY streams of one exec. */
class SpdyExecSocket extends EventEmitter {
  private closed = false;

  constructor(private readonly streams: Map<string, SpdyServerStream>) {
    super();
    const stdin = streams.get('stdin');
    stdin?.on('data', (data: Buffer) => this.emit('message', Buffer.concat([Buffer.from([STDIN]), data]), true));
    stdin?.on('end', () => this.emit('message', Buffer.from([CLOSE, STDIN]), true));
    streams.get('error')!.once('close', () => this.finish());
  }

  send(message: Buffer): void {
    const name =
      message[0] === STDOUT ? 'stdout' : message[0] === STDERR ? 'stderr' : message[0] === STATUS ? 'error' : '';
    this.streams.get(name)?.write(message.subarray(1));
  }

  close(): void {
    if (this.closed) return;
    for (const stream of this.streams.values()) stream.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    // The client closes the connection once it has read every stream to its end.
    this.emit('close');
  }
}
