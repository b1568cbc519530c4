import { describe, expect, jest, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createLogger } from '@postern/logging';
import type { Actor } from '../auth/actor.js';
import type { ApiAuthentication, Authenticated } from '../auth/api-authentication.js';
import { UnauthenticatedError } from '../errors/domain-error.js';
import { GraphqlWsAuthentication } from './graphql-ws.js';
import type { GraphqlOperationGate } from '../api-limits/graphql-limits.plugin.js';
import { loadConfig } from '../config/config.js';

const TEST_ENV = {
  POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(32),
  POSTERN_GRPC_INSECURE: 'true',
  POSTERN_RELAY_INSECURE: 'true',
};

const actor: Actor = { id: 'u1', kind: 'user', roles: ['user'], groups: [] };

function setup(expiresAt: Date | null = null) {
  const authenticate = jest.fn(async (token: string | undefined): Promise<Authenticated> => {
    if (token !== 'good') throw new UnauthenticatedError('invalid token');
    return { actor, expiresAt };
  });
  const ws = new GraphqlWsAuthentication(
    { authenticate, onSessionEnded: jest.fn() } as unknown as ApiAuthentication,
    'https://dash.example.com',
    createLogger({ name: 'test', level: 'silent' }),
    { limits: loadConfig(TEST_ENV).graphql, admit: jest.fn(async () => undefined) } as unknown as GraphqlOperationGate,
  );
  return { ws, authenticate, options: ws.options() };
}

function connection(params: Record<string, unknown> | undefined, headers: Record<string, string> = {}) {
  const socket = Object.assign(new EventEmitter(), { close: jest.fn() });
  const ctx = {
    connectionParams: params,
    extra: { request: { headers: { host: 'postern.internal:8080', ...headers } } as IncomingMessage, socket },
    connectionInitReceived: true,
    acknowledged: false,
    subscriptions: {},
  };
  return { ctx, socket };
}

describe('GraphqlWsAuthentication', () => {
  test('accepts a bearer token at connection_init and runs operations with it', async () => {
    const { ws, options } = setup();
    const { ctx } = connection({ authorization: 'Bearer good' });
    expect(await options.onConnect(ctx as never)).toBe(true);
    expect(ws.context(ctx as never)).toEqual({ req: { headers: { authorization: 'Bearer good' } } });
    expect(ws.context({ req: { headers: { x: '1' } } })).toEqual({ req: { headers: { x: '1' } } });
  });

  test('refuses a missing or bad credential (graphql-ws closes with 4403)', async () => {
    const { options } = setup();
    expect(await options.onConnect(connection({}).ctx as never)).toBe(false);
    expect(await options.onConnect(connection({ authorization: 'Bearer bad' }).ctx as never)).toBe(false);
  });

  test('takes the session cookie only from this host or the dashboard (no cross-site hijacking)', async () => {
    const { options, authenticate } = setup();
    const cookie = { cookie: 'a=b; postern_session=good' };
    expect(await options.onConnect(connection(undefined, cookie).ctx as never)).toBe(true);
    expect(
      await options.onConnect(
        connection(undefined, { ...cookie, origin: 'http://postern.internal:8080' }).ctx as never,
      ),
    ).toBe(true);
    expect(
      await options.onConnect(connection(undefined, { ...cookie, origin: 'https://dash.example.com' }).ctx as never),
    ).toBe(true);
    authenticate.mockClear();
    expect(
      await options.onConnect(connection(undefined, { ...cookie, origin: 'https://evil.example.com' }).ctx as never),
    ).toBe(false);
    expect(authenticate).not.toHaveBeenCalled();
  });

  test('closes the socket with 4401 when the token expires', async () => {
    jest.useFakeTimers();
    try {
      const { options } = setup(new Date(Date.now() + 60_000));
      const { ctx, socket } = connection({ authorization: 'Bearer good' });
      expect(await options.onConnect(ctx as never)).toBe(true);
      jest.advanceTimersByTime(59_000);
      expect(socket.close).not.toHaveBeenCalled();
      jest.advanceTimersByTime(2_000);
      expect(socket.close).toHaveBeenCalledWith(4401, 'token expired');
    } finally {
      jest.useRealTimers();
    }
  });
});
