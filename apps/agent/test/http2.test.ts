// HTTP/2 on the HTTP engine's TLS listener (ALPN h2 + http/1.1) against a real upstream (libs/testing's
// startHttpUpstream, HTTP/1.1 as the engine speaks upstream), with real clients: curl --http2 (libcurl's
// nghttp2) and node:http2. Also: h2 with prior knowledge on a plain listener is refused, and the HTTP
// kit without the `http2` option (the Kubernetes engine) keeps offering HTTP/1.1 only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { connect as connectHttp2, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as connectTcp, createServer, type AddressInfo } from 'node:net';
import { connect as connectTls, createSecureContext } from 'node:tls';
import {
  selfSignedCertificate,
  startHttpUpstream,
  USER_DOCUMENT,
  type CertificateFiles,
  type HttpUpstream,
} from '@postern/testing';
import { serveHttp } from '../src/engines/common/http/index.js';
import { ALICE, curl, HttpGateway } from './http-harness.js';

const rule = (id: string, match: Record<string, unknown>) => ({ id, name: id, connectionIds: [], groups: [], match });

let upstream: HttpUpstream;
let gateway: HttpGateway;
let certificate: CertificateFiles;

beforeAll(async () => {
  upstream = await startHttpUpstream();
  certificate = await selfSignedCertificate(['localhost']);
  gateway = await HttpGateway.start(
    {
      api: {
        url: upstream.url,
        secret: 'upstream-secret',
        settings: { authScheme: 'bearer', credentialHeader: 'x-postern-token' },
      },
    },
    {
      guardrails: [rule('no-admin', { relations: ['/admin/*'] })],
      masking: [
        {
          id: 'emails',
          name: 'emails',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['email', 'card'], style: 'redact' },
        },
      ],
    },
    { recordBodyBytes: 1024 },
  );
  gateway.clientTls = createSecureContext({ cert: certificate.cert, key: readFileSync(certificate.keyFile) });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.stop();
});

const h2url = (path: string) => `https://localhost:${gateway.port}/c/api${path}`;
const curlH2 = (args: string[]) =>
  curl(['--http2', '--cacert', certificate.certFile, '-H', `Authorization: Bearer ${ALICE.credential}`, ...args]);

/** One request on an open node:http2 session; resolves with the status, headers and body. */
function h2request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let answer: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (answer = h));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () =>
      resolve({ status: Number(answer[':status']), headers: answer, body: Buffer.concat(chunks).toString('utf8') }),
    );
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

describe('HTTP/2 over TLS', () => {
  test('curl --http2: a masked JSON answer over h2', async () => {
    const result = await curlH2([h2url('/users/9')]);
    expect(result.headers).toMatch(/^HTTP\/2 200/);
    expect(result.status).toBe(200);
    const doc = JSON.parse(result.body) as typeof USER_DOCUMENT;
    expect(doc.email).toBe('********');
    expect(doc.card).toEqual({ number: '********', expiry: '********' });
    expect(doc.name).toBe(USER_DOCUMENT.name);
    expect(result.body).not.toContain(USER_DOCUMENT.email);
  });

  test('curl --http2: a guardrail answers 403 with the problem body naming the rule', async () => {
    const result = await curlH2([h2url('/admin/settings')]);
    expect(result.headers).toMatch(/^HTTP\/2 403/);
    const problem = JSON.parse(result.body) as { type: string; rule: { id: string } };
    expect(problem.type).toBe('urn:postern:guardrail');
    expect(problem.rule.id).toBe('no-admin');
  });

  test('curl --http2: the caller’s credential is removed upstream, the connection’s injected', async () => {
    const result = await curlH2(['-H', 'X-Postern-Token: another-secret', h2url('/echo/h2?x=1')]);
    expect(result.headers).toMatch(/^HTTP\/2 200/);
    const echoed = JSON.parse(result.body) as {
      path: string;
      query: Record<string, string>;
      headers: Record<string, string>;
    };
    expect(echoed.path).toBe('/echo/h2');
    expect(echoed.query).toEqual({ x: '1' });
    expect(echoed.headers['authorization']).toBe('Bearer upstream-secret');
    expect(echoed.headers['x-postern-token']).toBeUndefined();
    expect(echoed.headers['host']).toBe(new URL(upstream.url).host);
    expect(result.body).not.toContain(ALICE.credential);
    expect(result.body).not.toContain('another-secret');
  });

  test('node:http2: concurrent streams on one connection, a body without Content-Length, recorded calls', async () => {
    const session = connectHttp2(`https://localhost:${gateway.port}`, { ca: certificate.cert });
    try {
      const auth = { authorization: `Bearer ${ALICE.credential}` };
      const [users, posted, blocked] = await Promise.all([
        h2request(session, { ':path': '/c/api/users/5', ...auth }),
        h2request(
          session,
          { ':method': 'POST', ':path': '/c/api/echo/posted', 'content-type': 'text/plain', ...auth },
          'a body over h2',
        ),
        h2request(session, { ':path': '/c/api/admin/x', ...auth }),
      ]);
      expect(users.status).toBe(200);
      expect((JSON.parse(users.body) as typeof USER_DOCUMENT).email).toBe('********');
      expect(posted.status).toBe(200);
      const echoed = JSON.parse(posted.body) as { method: string; body: string; headers: Record<string, string> };
      expect(echoed).toMatchObject({ method: 'POST', body: 'a body over h2' });
      expect(echoed.headers['authorization']).toBe('Bearer upstream-secret');
      expect(blocked.status).toBe(403);
      // A different credential on the same connection is refused, as on HTTP/1.1.
      const other = await h2request(session, { ':path': '/c/api/echo/x', authorization: 'Bearer someone-else' });
      expect(other.status).toBe(401);
    } finally {
      session.close();
    }
    const calls = gateway.events('http.request');
    const posted = calls.find((c) => c['path'] === '/echo/posted')!;
    expect(posted).toMatchObject({ method: 'POST', status: 200, requestBody: 'a body over h2' });
    expect(JSON.stringify(calls)).not.toContain(ALICE.credential);
    expect(String(calls.find((c) => c['path'] === '/users/5')!['responseBody'])).not.toContain(USER_DOCUMENT.email);
  });

  test('over h2 too: CONNECT and oversized header lists are refused, nothing reaches the upstream', async () => {
    const before = upstream.seen.length;
    const session = connectHttp2(`https://localhost:${gateway.port}`, { ca: certificate.cert });
    try {
      const auth = { authorization: `Bearer ${ALICE.credential}` };
      const tunnel = await h2request(session, { ':method': 'CONNECT', ':authority': 'example.com:443', ...auth });
      // node:http2 answers CONNECT itself when no tunnel is served (no 'connect' listener).
      expect(tunnel.status).toBe(405);
    } finally {
      session.close();
    }
    const big = await curlH2(['-H', `X-Big: ${'a'.repeat(20_000)}`, h2url('/echo/big')]);
    expect(big.headers).toMatch(/^HTTP\/2 431/);
    expect(JSON.parse(big.body)).toMatchObject({ type: 'urn:postern:headers-too-large' });
    expect(upstream.seen.length).toBe(before);
  });

  test('a client that offers only http/1.1 still gets HTTP/1.1 on the same listener', async () => {
    const result = await curl([
      '--http1.1',
      '--cacert',
      certificate.certFile,
      '-H',
      `Authorization: Bearer ${ALICE.credential}`,
      h2url('/users/2'),
    ]);
    expect(result.headers).toMatch(/^HTTP\/1\.1 200/);
    expect((JSON.parse(result.body) as typeof USER_DOCUMENT).email).toBe('********');
  });
});

describe('HTTP/2 elsewhere', () => {
  test('h2 with prior knowledge on a plain listener is refused with a 400 that says why', async () => {
    const plain = await HttpGateway.start({ api: { url: upstream.url } });
    try {
      const curlResult = await curl([
        '--http2-prior-knowledge',
        '-H',
        `Authorization: Bearer ${ALICE.credential}`,
        plain.url('api', '/echo/x'),
      ]);
      expect(curlResult.status).not.toBe(200);
      // What a client reading HTTP/1.1 sees: the preface is answered, not served.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connectTcp(plain.port, '127.0.0.1', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect(answer).toContain('HTTP/2 without TLS');
    } finally {
      await plain.stop();
    }
  });

  test('the HTTP kit without the http2 option (the Kubernetes engine) answers ALPN with http/1.1 only', async () => {
    const controller = new AbortController();
    const tls = createSecureContext({ cert: certificate.cert, key: readFileSync(certificate.keyFile) });
    const server = createServer((socket) => {
      void serveHttp(socket, { tls, signal: controller.signal }, { request: (_q, response) => response.end('h1') });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const chosen = await new Promise<string | false>((resolve, reject) => {
        const socket = connectTls(
          {
            port: (server.address() as AddressInfo).port,
            host: '127.0.0.1',
            servername: 'localhost',
            ca: certificate.cert,
            ALPNProtocols: ['h2', 'http/1.1'],
          },
          () => {
            resolve(socket.alpnProtocol);
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
      expect(chosen).toBe('http/1.1');
    } finally {
      controller.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
