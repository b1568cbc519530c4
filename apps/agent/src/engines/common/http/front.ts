/*
 * The client side of an HTTP-speaking engine: one client connection (a Duplex from the engine
 * seam — a local TCP socket or a relayed tunnel alike) served by a node:http server that never
 * listens. TLS is terminated here when the ingress has a certificate. Node's parser (llhttp, in
 * its strict mode) frames requests; `framingProblem` re-checks the raw header list before a request
 * is handed on, and parse errors are answered with a problem body and a closed connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { framingProblem } from './headers.js';
import { sendProblem, writeRawProblem } from './problem.js';

export interface HttpFrontOptions {
  /** TLS for the client side; null: plain HTTP. */
  tls: SecureContext | null;
  /** Largest request head (request line and headers). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Time a client has to send a complete request head, and to start the next one on a kept-alive connection. */
  idleTimeoutMs?: number;
  /** Aborted: the connection is cut at once (revocation, shutdown). */
  signal: AbortSignal;
  /**
   * Offer HTTP/2 by ALPN (`h2`, then `http/1.1`) on a TLS connection. Off by default: the
   * Kubernetes engine needs HTTP/1.1 for its exec/port-forward upgrades. Without TLS (and for
   * clients that do not offer h2) HTTP/1.1 is served; h2 with prior knowledge is refused.
   */
  http2?: boolean;
}

export interface HttpFrontHandlers {
  /** One request whose framing passed the checks. Must answer (or destroy) the response. */
  request(request: IncomingMessage, response: ServerResponse): void;
  /** An Upgrade request (WebSocket); without a handler upgrades are refused with 501. */
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface HttpFrontResult {
  requests: number;
  bytesFromClient: number;
  bytesToClient: number;
  /** Why the connection ended when we ended it: 'aborted', 'idle', 'tls', or null (the client closed). */
  endedBy: 'aborted' | 'idle' | 'tls' | null;
}

/**
 * Serves HTTP/1.1 on `client` until it closes, or HTTP/2 when `http2` is on and the client
 * chose h2 by ALPN (handlers then get node:http2's compatibility request and response, which
 * behave as node:http's for what handlers use; `request.httpVersionMajor` is 2). Resolves, never
 * rejects.
 */
export function serveHttp(
  client: Duplex,
  options: HttpFrontOptions,
  handlers: HttpFrontHandlers,
): Promise<HttpFrontResult> {
  const result: HttpFrontResult = { requests: 0, bytesFromClient: 0, bytesToClient: 0, endedBy: null };
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  let socket: Duplex = client;
  if (options.tls) {
    const tlsSocket = new TLSSocket(client, {
      isServer: true,
      secureContext: options.tls,
      ALPNProtocols: options.http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
    });
    tlsSocket.on('error', () => {
      result.endedBy ??= 'tls';
      tlsSocket.destroy();
    });
    socket = tlsSocket;
  }
  const server = createServer({
    maxHeaderSize: maxHeaderBytes,
    insecureHTTPParser: false,
    requireHostHeader: true,
    joinDuplicateHeaders: false,
    keepAlive: false,
  });
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    if (active === 0) {
      idle = setTimeout(() => {
        result.endedBy ??= 'idle';
        socket.destroy();
      }, idleMs);
      idle.unref?.();
    }
  };
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    result.requests++;
    active++;
    clearTimeout(idle);
    response.on('close', () => {
      active--;
      armIdle();
    });
    if (request.httpVersionMajor === 2 && headerListBytes(request) > maxHeaderBytes) {
      // llhttp bounds HTTP/1.1 heads; node:http2 advertises SETTINGS_MAX_HEADER_LIST_SIZE but
      // does not enforce it, so the decoded header list is measured here (as RFC 9113 counts it).
      request.resume();
      sendProblem(response, { status: 431, slug: 'headers-too-large', title: 'Request header fields too large' });
      return;
    }
    const problem = framingProblem(request);
    if (problem !== null) {
      response.shouldKeepAlive = false;
      sendProblem(response, { status: 400, slug: 'bad-request', title: 'Bad request', detail: problem });
      // HTTP/2: the stream ends with the answer, the connection goes on.
      if (request.httpVersionMajor !== 2) request.socket.destroySoon?.();
      return;
    }
    handlers.request(request, response);
  };
  server.on('request', onRequest);
  server.on('upgrade', (request: IncomingMessage, upgraded: Duplex, head: Buffer) => {
    result.requests++;
    active++;
    clearTimeout(idle);
    const problem = framingProblem(request);
    if (problem !== null) {
      writeRawProblem(upgraded, { status: 400, slug: 'bad-request', title: 'Bad request', detail: problem });
      return;
    }
    if (!handlers.upgrade) {
      writeRawProblem(upgraded, { status: 501, slug: 'upgrade-refused', title: 'Upgrades are not served here' });
      return;
    }
    handlers.upgrade(request, upgraded, head);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, broken: Duplex) => {
    const code = error.code ?? '';
    if (code === 'ECONNRESET' || !broken.writable) {
      broken.destroy();
      return;
    }
    const tooLarge = code === 'HPE_HEADER_OVERFLOW';
    writeRawProblem(broken, {
      status: tooLarge ? 431 : 400,
      slug: tooLarge ? 'headers-too-large' : 'bad-request',
      title: tooLarge ? 'Request header fields too large' : 'Bad request',
      detail: tooLarge
        ? undefined
        : code === 'HPE_PAUSED_H2_UPGRADE'
          ? 'HTTP/2 without TLS (h2c, prior knowledge) is not served: use HTTP/1.1, or HTTP/2 over TLS'
          : 'the request is not valid HTTP/1.1',
    });
  });
  // Built only when the client chose h2: a node:http2 server that never listens, on the TLS socket.
  const h2Server = () => {
    const h2 = createH2Server({
      maxSessionMemory: 10,
      settings: { maxHeaderListSize: maxHeaderBytes, enablePush: false },
    });
    h2.on('request', (request: Http2ServerRequest, response: Http2ServerResponse) =>
      onRequest(request as unknown as IncomingMessage, response as unknown as ServerResponse),
    );
    h2.on('sessionError', () => socket.destroy());
    return h2;
  };
  return new Promise((resolve) => {
    const onAbort = () => {
      result.endedBy ??= 'aborted';
      socket.destroy();
      client.destroy();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    client.once('close', () => {
      clearTimeout(idle);
      options.signal.removeEventListener('abort', onAbort);
      // net.Socket counts what crossed it (the raw bytes, TLS included); other Duplexes report 0.
      const counted = client as Duplex & { bytesRead?: number; bytesWritten?: number };
      result.bytesFromClient = counted.bytesRead ?? 0;
      result.bytesToClient = counted.bytesWritten ?? 0;
      socket.destroy();
      resolve(result);
    });
    client.on('error', () => client.destroy());
    if (socket !== client) socket.once('close', () => client.destroy());
    asNetSocket(socket);
    // Heads and bodies are written separately: without this, Nagle holds the body back for the
    // client's delayed ACK (40 ms per answer on a kept-alive connection).
    (client as Duplex & { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
    if (options.http2 && socket instanceof TLSSocket) {
      socket.once('secure', () => {
        if (socket.alpnProtocol === 'h2') {
          // A TLSSocket made without a tls.Server never clears `secureConnecting`, and node:http2
          // waits for 'secureConnect' (a client-side event) while it is set: the handshake is done.
          (socket as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
          h2Server().emit('connection', socket);
        } else server.emit('connection', socket);
      });
    } else {
      server.emit('connection', socket);
    }
    armIdle();
  });
}

/** A header list's size as RFC 9113 §6.5.2 counts it: name and value octets plus 32 per field. */
function headerListBytes(request: IncomingMessage): number {
  let bytes = 0;
  const raw = request.rawHeaders;
  for (let k = 0; k < raw.length; k += 2) bytes += raw[k]!.length + raw[k + 1]!.length + 32;
  return bytes;
}

/**
 * node:http calls a few net.Socket methods on its connections; a Duplex from a tunnel may lack
 * them. No-ops are right: timeouts are ours (the idle timer), Nagle belongs to the real socket.
 */
function asNetSocket(socket: Duplex): void {
  const s = socket as Duplex & Record<string, unknown>;
  for (const name of ['setTimeout', 'setNoDelay', 'setKeepAlive']) {
    if (typeof s[name] !== 'function') s[name] = () => socket;
  }
}

export type { Server };
