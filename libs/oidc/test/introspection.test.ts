import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier, type TokenVerifierOptions } from '../src/index.js';
import { FakeClock } from './support/fake-clock.js';
import { expectRejected } from './support/rejection.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'urn:postern:gateway';
const CLIENT = { clientId: 'postern gateway', clientSecret: 's3cret:&=' };

/**
 * A minimal RFC 7662 endpoint: it authenticates the gateway, then answers from a table of
 * opaque tokens. Anything not in the table is inactive.
 */
class IntrospectionEndpoint {
  readonly active = new Map<string, Record<string, unknown>>();
  requests = 0;
  failing = false;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        this.requests += 1;
        const expected = `Basic ${Buffer.from('postern+gateway:s3cret%3A%26%3D').toString('base64')}`;
        if (this.failing) return reply(response, 503, { error: 'temporarily_unavailable' });
        if (request.headers.authorization !== expected) return reply(response, 401, { error: 'invalid_client' });
        const form = new URLSearchParams(body);
        const claims = this.active.get(form.get('token') ?? '');
        reply(response, 200, claims ? { active: true, ...claims } : { active: false });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/introspect`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

function reply(response: import('node:http').ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

describe('opaque tokens through RFC 7662 introspection', () => {
  const endpoint = new IntrospectionEndpoint();
  beforeAll(() => endpoint.start());
  afterAll(() => endpoint.stop());

  function verifier(overrides: Partial<TokenVerifierOptions> = {}) {
    const clock = new FakeClock();
    const instance = createTokenVerifier({
      issuer: ISSUER,
      audiences: [AUDIENCE],
      now: clock.now,
      introspection: { endpoint: endpoint.url, ...CLIENT },
      ...overrides,
    });
    return { clock, verify: (token: string) => instance.verify(token) };
  }

  function activeToken(name: string, clock: FakeClock, claims: Record<string, unknown> = {}): string {
    const token = `${name}-${Math.random().toString(36).slice(2)}`;
    endpoint.active.set(token, {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'deploy-bot',
      client_id: 'deploy-bot',
      iat: clock.nowSeconds(),
      exp: clock.nowSeconds() + 120,
      groups: ['deployers'],
      ...claims,
    });
    return token;
  }

  test('an active opaque token verifies, and the answer is reused until the token expires', async () => {
    const { verify, clock } = verifier();
    const token = activeToken('active', clock);
    const before = endpoint.requests;
    await expect(verify(token)).resolves.toMatchObject({
      subject: 'deploy-bot',
      kind: 'service',
      groups: ['deployers'],
      audience: AUDIENCE,
    });
    clock.advanceSeconds(100);
    await verify(token);
    expect(endpoint.requests - before).toBe(1);

    // Past exp and the 30 s clock tolerance: asked again, and refused even though still "active".
    clock.advanceSeconds(51);
    await expectRejected(verify(token), 'expired', token);
    expect(endpoint.requests - before).toBe(2);
  });

  test('an inactive (revoked or unknown) token is refused as introspection_inactive', async () => {
    const { verify, clock } = verifier();
    const token = activeToken('revoked', clock);
    endpoint.active.delete(token);
    await expectRejected(verify(token), 'introspection_inactive', token);
  });

  test('an active token for another audience or issuer is still refused', async () => {
    const { verify, clock } = verifier();
    await expectRejected(verify(activeToken('other-aud', clock, { aud: 'urn:other' })), 'wrong_audience');
    await expectRejected(verify(activeToken('other-iss', clock, { iss: 'https://evil.test' })), 'wrong_issuer');
    await expectRejected(verify(activeToken('no-aud', clock, { aud: undefined })), 'missing_claim');
  });

  test('an endpoint that fails is introspection_unavailable, never an acceptance', async () => {
    const { verify, clock } = verifier();
    const token = activeToken('while-down', clock);
    endpoint.failing = true;
    try {
      await expectRejected(verify(token), 'introspection_unavailable', token);
    } finally {
      endpoint.failing = false;
    }
  });

  test('wrong client credentials are reported without the secret or the token', async () => {
    const { verify, clock } = verifier({
      introspection: { endpoint: endpoint.url, clientId: 'postern gateway', clientSecret: 'wrong' },
    });
    const token = activeToken('bad-client', clock);
    const rejection = await expectRejected(verify(token), 'introspection_unavailable', token);
    expect(rejection.message).toContain('401');
    expect(rejection.message).not.toContain('wrong');
  });

  test('the answer cache is bounded', async () => {
    const { verify, clock } = verifier({
      introspection: { endpoint: endpoint.url, ...CLIENT, maxCacheEntries: 2 },
    });
    const tokens = ['a', 'b', 'c'].map((name) => activeToken(`bounded-${name}`, clock));
    const before = endpoint.requests;
    for (const token of tokens) await verify(token);
    // The first answer was evicted to make room for the third: asking again costs a request.
    await verify(tokens[2]!);
    await verify(tokens[0]!);
    expect(endpoint.requests - before).toBe(4);
  });

  test('without an introspection endpoint an opaque token is malformed', async () => {
    const { verify, clock } = verifier({ introspection: undefined });
    const token = activeToken('no-endpoint', clock);
    await expectRejected(verify(token), 'malformed', token);
  });
});
