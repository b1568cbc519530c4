// The HTTP engine against a real upstream (libs/testing's startHttpUpstream, plain and TLS) with
// real clients: curl and undici. One gateway and one upstream shared by the whole file.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createSecureContext } from 'node:tls';
import { jwtVerify } from 'jose';
import { Client, request, WebSocket } from 'undici';
import { selfSignedCertificate, startHttpUpstream, USER_DOCUMENT, type HttpUpstream } from '@postern/testing';
import { AssertionSigner } from '../src/engines/http/assertion.js';
import { ALICE, BOB, curl, HttpGateway } from './http-harness.js';

const ASSERTION_SECRET = 'assertion-secret-of-at-least-32-bytes!!';
process.env['POSTERN_TEST_ASSERTION_KEY'] = ASSERTION_SECRET;

const rule = (id: string, match: Record<string, unknown>) => ({ id, name: id, connectionIds: [], groups: [], match });

let upstream: HttpUpstream;
let tlsUpstream: HttpUpstream;
let gateway: HttpGateway;

beforeAll(async () => {
  upstream = await startHttpUpstream();
  tlsUpstream = await startHttpUpstream({ tls: true });
  gateway = await HttpGateway.start(
    {
      api: {
        url: upstream.url,
        secret: 'upstream-secret',
        settings: {
          authScheme: 'bearer',
          credentialCookie: 'postern',
          credentialHeader: 'x-postern-token',
          approvalHoldSeconds: '5',
        },
      },
      keyed: {
        url: `${upstream.url}/echo/base`,
        secret: 'query-secret',
        settings: {
          authQueryParam: 'api_key',
          extraHeaders: JSON.stringify({ 'x-tenant': 'tenant-ref' }),
          identityAssertion: 'true',
          approvalHoldSeconds: '0',
        },
        secrets: { 'tenant-ref': 'tenant-42' },
      },
      secure: { url: tlsUpstream.url, ca: tlsUpstream.cert!, tlsMode: 'verify-full' },
      untrusted: { url: tlsUpstream.url, tlsMode: 'verify-full' },
    },
    {
      guardrails: [
        rule('no-delete-users', { statementKinds: ['DELETE'], relations: ['/users/*'] }),
        rule('no-debug-header', { functions: ['header.x-debug'] }),
        rule('no-force', { functions: ['query.force=true'] }),
        rule('no-admin', { relations: ['/admin/*'] }),
      ],
      approvals: [
        {
          ...rule('approve-writes', { statementKinds: ['POST'], relations: ['/echo/approve*'] }),
          approverGroups: ['ops'],
          requiredApprovals: 1,
          timeoutSeconds: 600,
        },
      ],
    },
    {
      domain: 'api.test',
      recordBodyBytes: 1024,
      assertion: new AssertionSigner({
        header: 'x-postern-assertion',
        alg: 'HS256',
        keyRef: 'env:POSTERN_TEST_ASSERTION_KEY',
        ttlSeconds: 60,
        issuer: 'postern-test',
      }),
    },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.stop();
  await tlsUpstream?.stop();
});

const bearer = (who = ALICE) => ['-H', `Authorization: Bearer ${who.credential}`];

describe('credentials', () => {
  test('injects the connection’s credential and removes every trace of the caller’s', async () => {
    const result = await curl([
      ...bearer(),
      '-H',
      'X-Postern-Token: also-secret',
      '-H',
      'Cookie: theme=dark; postern=cookie-secret',
      gateway.url('api', '/echo/hello?x=1'),
    ]);
    expect(result.status).toBe(200);
    const echoed = JSON.parse(result.body) as {
      path: string;
      query: Record<string, string>;
      headers: Record<string, string>;
    };
    expect(echoed.path).toBe('/echo/hello');
    expect(echoed.query).toEqual({ x: '1' });
    expect(echoed.headers['authorization']).toBe('Bearer upstream-secret');
    expect(echoed.headers['cookie']).toBe('theme=dark');
    expect(echoed.headers['x-postern-token']).toBeUndefined();
    expect(result.body).not.toContain(ALICE.credential);
    expect(result.body).not.toContain('cookie-secret');
    const session = gateway.sessions.at(-1)!;
    expect(session.opened[0]?.principal.id).toBe('user-alice');
  });

  test('Basic (user:credential), a named header and a named cookie authenticate too', async () => {
    const basic = await curl(['-u', `${ALICE.login}:${ALICE.credential}`, gateway.url('api', '/echo/b')]);
    expect(basic.status).toBe(200);
    const header = await curl(['-H', `X-Postern-Token: ${BOB.credential}`, gateway.url('api', '/echo/h')]);
    expect(header.status).toBe(200);
    const cookie = await curl(['-H', `Cookie: postern=${ALICE.credential}`, gateway.url('api', '/echo/c')]);
    expect(cookie.status).toBe(200);
    expect(JSON.parse(cookie.body).headers.cookie).toBeUndefined();
  });

  test('query and extra header injection, and a signed identity assertion naming the caller', async () => {
    const result = await curl([...bearer(BOB), gateway.url('keyed', '/x?api_key=forged&y=2')]);
    expect(result.status).toBe(200);
    const echoed = JSON.parse(result.body) as {
      path: string;
      query: Record<string, string>;
      headers: Record<string, string>;
    };
    expect(echoed.path).toBe('/echo/base/x');
    expect(echoed.query).toEqual({ y: '2', api_key: 'query-secret' });
    expect(echoed.headers['x-tenant']).toBe('tenant-42');
    const { payload } = await jwtVerify(
      echoed.headers['x-postern-assertion']!,
      new TextEncoder().encode(ASSERTION_SECRET),
      {
        issuer: 'postern-test',
        audience: new URL(upstream.url).origin,
      },
    );
    expect(payload.sub).toBe('user-bob');
    expect(payload['postern_connection']).toBe('keyed');
    expect(payload.exp! - payload.iat!).toBe(60);
    const recorded = gateway.events('http.request').find((e) => String(e['path']).startsWith('/x'))!;
    expect(JSON.stringify(recorded['requestHeaders'])).not.toContain('tenant-42');
    expect(String(recorded['path'])).not.toContain('query-secret');
  });

  test('no credential → 401 with a challenge; a wrong one → 401; an unknown connection → 404', async () => {
    const none = await curl([gateway.url('api', '/echo/x')]);
    expect(none.status).toBe(401);
    expect(none.headers.toLowerCase()).toContain('www-authenticate: bearer realm="postern"');
    expect(JSON.parse(none.body).type).toBe('urn:postern:unauthenticated');
    expect((await curl(['-H', 'Authorization: Bearer nope', gateway.url('api', '/echo/x')])).status).toBe(401);
    const unknown = await curl([...bearer(), gateway.url('nosuch', '/echo/x')]);
    expect(unknown.status).toBe(404);
    expect(unknown.headers).toContain('application/problem+json');
  });

  test('the connection by Host (<connection>.<domain>), the path forwarded as it is', async () => {
    const result = await curl([
      ...bearer(),
      '-H',
      'Host: api.api.test',
      `http://127.0.0.1:${gateway.port}/echo/by-host`,
    ]);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).path).toBe('/echo/by-host');
  });

  test('a kept-alive connection is bound to its first credential', async () => {
    const client = new Client(`http://127.0.0.1:${gateway.port}`, { pipelining: 1, connections: 1 } as never);
    const first = await client.request({
      method: 'GET',
      path: '/c/api/echo/1',
      headers: { authorization: `Bearer ${ALICE.credential}` },
    });
    await first.body.text();
    expect(first.statusCode).toBe(200);
    const second = await client.request({
      method: 'GET',
      path: '/c/api/echo/2',
      headers: { authorization: `Bearer ${BOB.credential}` },
    });
    await second.body.text();
    expect(second.statusCode).toBe(401);
    await client.close();
  });
});

describe('rules', () => {
  test.each([
    ['DELETE', '/users/123', [], 'no-delete-users'],
    ['DELETE', '/users/9f86d081884c7d65', [], 'no-delete-users'],
    ['GET', '/echo/x', ['-H', 'X-Debug: 1'], 'no-debug-header'],
    ['GET', '/echo/x?force=true', [], 'no-force'],
    ['GET', '/public/../admin/users', ['--path-as-is'], 'no-admin'],
    ['GET', '/%61dmin/x', [], 'no-admin'],
  ])('%s %s is refused with 403 naming the rule', async (method, path, extra, ruleId) => {
    const result = await curl([...bearer(), '-X', method, ...(extra as string[]), gateway.url('api', path)]);
    expect(result.status).toBe(403);
    const problem = JSON.parse(result.body) as { type: string; rule: { id: string } };
    expect(problem.type).toBe('urn:postern:guardrail');
    expect(problem.rule.id).toBe(ruleId);
  });

  test('requests no rule matches pass', async () => {
    expect((await curl([...bearer(), '-X', 'GET', gateway.url('api', '/users/123')])).status).toBe(200);
    expect((await curl([...bearer(), gateway.url('api', '/echo/x?force=false')])).status).toBe(200);
  });

  test('a held request passes once approved', async () => {
    const before = gateway.held.length;
    const pending = curl([
      ...bearer(),
      '-X',
      'POST',
      '-d',
      '{"a":1}',
      '-H',
      'content-type: application/json',
      gateway.url('api', '/echo/approve-me'),
    ]);
    await waitUntil(() => gateway.held.length > before);
    gateway.held.at(-1)!.decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    const result = await pending;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).body).toBe('{"a":1}');
  });

  test('a held request not decided in time → 409 with the review id; the retry after approval passes once', async () => {
    const args = [...bearer(), '-X', 'POST', '-d', 'x', gateway.url('keyed', '/echo/approve-later')];
    // `keyed` holds for 0 s: the answer is immediate (the rule reads the path the caller asked for).
    const held = await curl(args);
    expect(held.status).toBe(409);
    const problem = JSON.parse(held.body) as { reviewId: string; type: string };
    expect(problem.type).toBe('urn:postern:approval-pending');
    const again = await curl(args);
    expect(JSON.parse(again.body).reviewId).toBe(problem.reviewId);
    gateway.held
      .find((h) => h.reviewId === problem.reviewId)!
      .decide({ outcome: 'approved', decidedBy: 'bob', comment: '' });
    await new Promise((resolve) => setImmediate(resolve));
    expect((await curl(args)).status).toBe(200);
    expect((await curl(args)).status).toBe(409);
  });
});

describe('masking', () => {
  beforeAll(() =>
    gateway.setPolicy({
      masking: [
        {
          id: 'emails',
          name: 'emails',
          connectionIds: [],
          exemptGroups: ['ops'],
          spec: { columns: ['email', 'card'], style: 'redact' },
        },
        {
          id: 'cards',
          name: 'cards',
          connectionIds: [],
          exemptGroups: ['ops'],
          spec: { detectors: ['payment_card'], style: 'redact' },
        },
      ],
    }),
  );

  const masked = (body: string) => {
    const doc = JSON.parse(body) as typeof USER_DOCUMENT;
    expect(doc.email).toBe('********');
    expect(doc.card).toEqual({ number: '********', expiry: '********' });
    expect(doc.nested.list[0]!.email).toBe('********');
    expect(doc.note).not.toContain('4111');
    expect(doc.name).toBe('Ada Lovelace');
    return doc;
  };

  test('JSON answers are masked by key path and detector', async () => {
    masked((await curl([...bearer(), gateway.url('api', '/users/1')])).body);
  });

  test('the same whatever the chunk boundaries (1-byte and 7-byte pieces)', async () => {
    const one = masked((await curl([...bearer(), gateway.url('api', '/stream?n=1')])).body);
    const seven = masked((await curl([...bearer(), gateway.url('api', '/stream?n=7')])).body);
    expect(one).toEqual(seven);
  });

  test('gzip answers are decoded, masked and re-encoded', async () => {
    const result = await curl([...bearer(), '--compressed', gateway.url('api', '/gzip')]);
    expect(result.headers.toLowerCase()).toContain('content-encoding: gzip');
    masked(result.body);
  });

  test('an encoding masking cannot read is refused, not passed', async () => {
    const result = await curl([...bearer(), gateway.url('api', '/brotli')]);
    expect(result.status).toBe(502);
    expect(JSON.parse(result.body).type).toBe('urn:postern:unreadable-encoding');
  });

  test('an answer that says JSON but is not → 502 unmaskable-answer, nothing of it passed', async () => {
    const result = await curl([...bearer(), gateway.url('api', '/broken-json')]);
    expect(result.status).toBe(502);
    expect(JSON.parse(result.body).type).toBe('urn:postern:unmaskable-answer');
    expect(result.body).not.toContain('ada@example.com');
    expect(result.body).not.toContain('4111');
  });

  test('an exempt group sees the answer as it is', async () => {
    const doc = JSON.parse((await curl([...bearer(BOB), gateway.url('api', '/users/1')])).body);
    expect(doc.email).toBe(USER_DOCUMENT.email);
  });

  test('the recording holds the call with secrets removed and the body masked', async () => {
    await curl([...bearer(), '-H', 'X-Api-Key: k', gateway.url('api', '/users/77')]);
    const call = gateway.events('http.request').find((e) => e['path'] === '/users/77')!;
    expect(call).toMatchObject({ method: 'GET', status: 200 });
    expect((call['requestHeaders'] as Record<string, string>)['x-api-key']).toBe('[redacted]');
    expect(String(call['responseBody'])).toContain('********');
    expect(String(call['responseBody'])).not.toContain('ada@example.com');
    expect(JSON.stringify(call)).not.toContain(ALICE.credential);
  });

  afterAll(() => gateway.setPolicy({}));
});

describe('streams', () => {
  test('WebSocket frames pass both ways and the upgrade is recorded', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/c/api/ws`, {
      headers: { authorization: `Bearer ${ALICE.credential}` },
    } as never);
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.addEventListener('open', () => ws.send('hello through postern'));
      ws.addEventListener('message', (event) => resolve(String(event.data)));
      ws.addEventListener('error', () => reject(new Error('websocket error')));
    });
    expect(echoed).toBe('hello through postern');
    ws.close();
    await waitUntil(() => gateway.events('http.upgrade').length > 0);
    expect(gateway.events('http.upgrade')[0]).toMatchObject({ path: '/ws', protocol: 'websocket' });
  });

  test('server-sent events stream through', async () => {
    const result = await curl([...bearer(), '-N', gateway.url('api', '/sse?n=3')]);
    expect(result.body).toContain('data: {"n":2}');
  });

  test('HTTPS ingress: TLS with the agent’s certificate, then the same request handling', async () => {
    const certificate = await selfSignedCertificate(['localhost']);
    gateway.clientTls = createSecureContext({ cert: certificate.cert, key: readFileSync(certificate.keyFile) });
    try {
      const result = await curl([
        ...bearer(),
        '--cacert',
        certificate.certFile,
        `https://localhost:${gateway.port}/c/api/echo/tls-in`,
      ]);
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body).headers.authorization).toBe('Bearer upstream-secret');
      const plain = await curl([...bearer(), gateway.url('api', '/echo/plain')]);
      expect(plain.status).not.toBe(200);
    } finally {
      gateway.clientTls = null;
    }
  });

  test('a WebSocket upgrade is a request the rules see (flag websocket)', async () => {
    gateway.setPolicy({ guardrails: [rule('no-websockets', { flags: ['websocket'] })] });
    try {
      const result = await curl([
        ...bearer(),
        '-H',
        'Connection: Upgrade',
        '-H',
        'Upgrade: websocket',
        '-H',
        'Sec-WebSocket-Version: 13',
        '-H',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        gateway.url('api', '/ws'),
      ]);
      expect(result.status).toBe(403);
      expect(JSON.parse(result.body).rule.id).toBe('no-websockets');
    } finally {
      gateway.setPolicy({});
    }
  });

  test('TLS upstream: verified with the connection’s CA, refused without it', async () => {
    expect((await curl([...bearer(), gateway.url('secure', '/echo/tls')])).status).toBe(200);
    expect((await curl([...bearer(), gateway.url('untrusted', '/echo/tls')])).status).toBe(502);
  });

  test('a 1 GiB download streams with bounded memory', async () => {
    const size = 1024 * 1024 * 1024;
    const before = process.memoryUsage().rss;
    let peak = before;
    const answer = await request(gateway.url('api', `/bytes?size=${size}`), {
      headers: { authorization: `Bearer ${ALICE.credential}` },
    });
    let received = 0;
    for await (const chunk of answer.body) {
      received += (chunk as Buffer).length;
      if ((received & 0xffffff) < (chunk as Buffer).length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(received).toBe(size);
    // Client, gateway and upstream share this process: growth stays far below the body's size.
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
  }, 240_000);

  test('revocation ends an in-flight download', async () => {
    const answer = await request(gateway.url('api', `/bytes?size=${1024 * 1024 * 1024}`), {
      headers: { authorization: `Bearer ${ALICE.credential}` },
    });
    const session = gateway.sessions.at(-1)!;
    const reader = answer.body[Symbol.asyncIterator]();
    await reader.next();
    session.controller.abort(new Error('revoked'));
    await expect(
      (async () => {
        for (;;) if ((await reader.next()).done) return 'ended';
      })(),
    ).rejects.toThrow();
    await session.done;
    expect(session.closed[0]?.endReason).toBe('revoked');
  });
});

describe('malformed requests', () => {
  const raw = (text: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(gateway.port, '127.0.0.1', () => socket.write(text));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('close', () => resolve(answer));
      socket.on('error', () => resolve(answer));
    });
  const auth = `Authorization: Bearer ${ALICE.credential}\r\n`;

  test.each([
    [
      'duplicate Content-Length',
      `POST /c/api/echo/s HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
    ],
    [
      'Content-Length with Transfer-Encoding',
      `POST /c/api/echo/s HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
    ['obs-fold', `GET /c/api/echo/s HTTP/1.1\r\nHost: x\r\n${auth}X-Folded: a\r\n b\r\n\r\n`],
    [
      'a Transfer-Encoding other than chunked',
      `POST /c/api/echo/s HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    ],
  ])('%s → 400 and the connection closed, nothing forwarded', async (_name, text) => {
    const seen = upstream.seen.length;
    const answer = await raw(text);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(upstream.seen.length).toBe(seen);
  });

  test('oversized headers → 431', async () => {
    const answer = await raw(`GET /c/api/echo/s HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
