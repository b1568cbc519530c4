/*
 * A small HTTP API for tests and benchmarks of HTTP-speaking engines, on a port the OS picks,
 * plain or TLS (a self-signed certificate for localhost/127.0.0.1):
 *   GET  /echo/…            JSON: method, path, query, headers as received (what the proxy sent)
 *   GET  /users/:id         JSON with personal data (email, card, nested secrets) to mask
 *   GET  /stream?n=&gap=    the same document as /users/1 sent in `n`-byte pieces (chunk boundaries)
 *   GET  /gzip              /users/1, gzip-encoded
 *   GET  /brotli            /users/1, br-encoded
 *   GET  /bytes?size=       `size` bytes of zeros, streamed in 64 KiB writes with backpressure
 *   GET  /json?size=        a JSON array about `size` bytes long (bench)
 *   GET  /broken-json       says application/json, sends a cut-off object (unmaskable)
 *   GET  /sse?n=            `n` server-sent events
 *   POST /echo/…            the request body echoed (with the headers)
 *   Upgrade /ws             a WebSocket echo (text and binary frames, up to 64 KiB each)
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { selfSignedCertificate, type CertificateFiles } from './tls.js';

export const USER_DOCUMENT = {
  id: 1,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  note: 'paid with card 4111 1111 1111 1111 last week',
  card: { number: '4111111111111111', expiry: '12/30' },
  tags: ['vip', 'beta'],
  nested: { token: 'tok_live_secret', list: [{ email: 'b@example.org' }] },
};

export interface HttpUpstream {
  url: string;
  port: number;
  /** PEM of the certificate (TLS variant): trust it as the CA. */
  cert: string | null;
  /** Requests seen (method, url, headers), newest last. */
  seen: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  stop(): Promise<void>;
}

export async function startHttpUpstream(options: { tls?: boolean } = {}): Promise<HttpUpstream> {
  let certificate: CertificateFiles | null = null;
  const seen: HttpUpstream['seen'] = [];
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    if (seen.length > 1000) seen.shift();
    void route(request, response).catch(() => response.destroy());
  };
  let server: Server;
  if (options.tls) {
    certificate = await selfSignedCertificate(['localhost']);
    const { readFileSync } = await import('node:fs');
    server = createHttpsServer({ cert: certificate.cert, key: readFileSync(certificate.keyFile) }, handler);
  } else {
    server = createHttpServer(handler);
  }
  server.keepAliveTimeout = 30_000;
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    webSocketEcho(request, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://${options.tls ? 'localhost' : '127.0.0.1'}:${port}`,
    port,
    cert: certificate?.cert ?? null,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        // Upgraded sockets left the server's bookkeeping: closeAllConnections does not see them.
        for (const socket of upgraded) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://upstream');
  const path = url.pathname;
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    response.end(text);
  };
  if (path.startsWith('/echo')) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return json(200, {
      method: request.method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
  }
  if (path.startsWith('/users/')) return json(200, { ...USER_DOCUMENT, id: path.slice('/users/'.length) });
  if (path === '/stream') {
    const bytes = Buffer.from(JSON.stringify(USER_DOCUMENT));
    const n = Math.max(1, Number(url.searchParams.get('n') ?? 1));
    response.writeHead(200, { 'content-type': 'application/json' });
    for (let at = 0; at < bytes.length; at += n) {
      if (!response.write(bytes.subarray(at, at + n))) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end();
    return;
  }
  if (path === '/gzip') {
    const body = gzipSync(JSON.stringify(USER_DOCUMENT));
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'content-length': body.length,
    });
    response.end(body);
    return;
  }
  if (path === '/brotli') {
    const body = brotliCompressSync(JSON.stringify(USER_DOCUMENT));
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-encoding': 'br',
      'content-length': body.length,
    });
    response.end(body);
    return;
  }
  if (path === '/bytes') {
    const size = Number(url.searchParams.get('size') ?? 0);
    const block = Buffer.alloc(64 * 1024);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    let left = size;
    while (left > 0) {
      const part = left >= block.length ? block : block.subarray(0, left);
      left -= part.length;
      if (!response.write(part)) {
        await new Promise<void>((resolve, reject) => {
          response.once('drain', resolve);
          response.once('close', () => reject(new Error('closed')));
        });
      }
    }
    response.end();
    return;
  }
  if (path === '/broken-json') {
    // Says JSON, is not (cut mid-object): a masked answer must be refused, never passed.
    const body = '{"email": "ada@example.com", "card": {"number": "4111 1111';
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
    return;
  }
  if (path === '/json') {
    const body = jsonOfSize(Number(url.searchParams.get('size') ?? 100));
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
    return;
  }
  if (path === '/sse') {
    const n = Number(url.searchParams.get('n') ?? 3);
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (let i = 0; i < n; i++) {
      response.write(`id: ${i}\ndata: {"n":${i}}\n\n`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    response.end();
    return;
  }
  json(404, { error: 'not found', path });
}

const jsonDocuments = new Map<number, Buffer>();

/** A JSON array of person records about `size` bytes long (built once per size). */
function jsonOfSize(size: number): Buffer {
  let body = jsonDocuments.get(size);
  if (body === undefined) {
    const item = JSON.stringify({ id: 12345, email: 'someone@example.com', name: 'A Person', ok: true });
    const count = Math.max(1, Math.floor((size - 2) / (item.length + 1)));
    body = Buffer.from(`[${Array.from({ length: count }, () => item).join(',')}]`);
    if (jsonDocuments.size > 16) jsonDocuments.clear();
    jsonDocuments.set(size, body);
  }
  return body;
}

/** RFC 6455 handshake, then every text/binary frame echoed back (close answered with close). */
function webSocketEcho(request: IncomingMessage, socket: Duplex, head: Buffer): void {
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || request.url !== '/ws') {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let buffered = head;
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0]! & 0x0f;
      const masked = (buffered[1]! & 0x80) !== 0;
      let length = buffered[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        socket.destroy();
        return;
      }
      const maskAt = at;
      if (masked) at += 4;
      if (buffered.length < at + length) return;
      const payload = Buffer.from(buffered.subarray(at, at + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffered[maskAt + (i % 4)]!;
      buffered = buffered.subarray(at + length);
      const header =
        payload.length < 126
          ? Buffer.from([0x80 | opcode, payload.length])
          : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
      if (opcode === 0x8) {
        socket.end(Buffer.concat([header, payload]));
        return;
      }
      if (opcode === 0x1 || opcode === 0x2) socket.write(Buffer.concat([header, payload]));
      if (opcode === 0x9) socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload]));
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  if (head.length > 0) onData(Buffer.alloc(0));
}
