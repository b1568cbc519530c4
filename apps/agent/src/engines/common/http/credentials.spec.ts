import { describe, expect, test } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { takeCredential } from './credentials.js';
import { endToEndHeaders, redactHeaders } from './headers.js';

describe('takeCredential', () => {
  test('takes a bearer token and removes every credential place', () => {
    const headers: IncomingHttpHeaders = {
      authorization: 'Bearer tok',
      'proxy-authorization': 'Basic eDp5',
      'x-postern-token': 'other',
      cookie: 'a=1; postern_token=c; b=2',
    };
    expect(takeCredential(headers, { header: 'x-postern-token', cookie: 'postern_token' })).toEqual({
      user: '',
      secret: 'tok',
      source: 'bearer',
    });
    expect(headers).toEqual({ cookie: 'a=1; b=2' });
  });

  test('reads basic (user and password), a named header, a named cookie', () => {
    const basic = { authorization: `Basic ${Buffer.from('alice:pw:x').toString('base64')}` };
    expect(takeCredential(basic)).toEqual({ user: 'alice', secret: 'pw:x', source: 'basic' });
    expect(takeCredential({ 'x-token': ' t ' }, { header: 'x-token' })).toEqual({
      user: '',
      secret: 't',
      source: 'header',
    });
    const cookie: IncomingHttpHeaders = { cookie: 'postern_token=abc' };
    expect(takeCredential(cookie, { cookie: 'postern_token' })).toEqual({ user: '', secret: 'abc', source: 'cookie' });
    expect(cookie.cookie).toBeUndefined();
    expect(takeCredential({ authorization: 'Digest x' })).toBeNull();
  });
});

describe('headers', () => {
  test('drops hop-by-hop headers, those Connection names, and host', () => {
    expect(
      endToEndHeaders({
        host: 'h',
        connection: 'keep-alive, x-hop',
        'x-hop': '1',
        te: 'trailers',
        accept: 'a',
        'keep-alive': 't',
      }),
    ).toEqual({ accept: 'a' });
  });

  test('redacts secret headers for recordings', () => {
    expect(redactHeaders({ authorization: 'x', 'x-custom': 'y', accept: 'a' }, new Set(['x-custom']))).toEqual({
      authorization: '[redacted]',
      'x-custom': '[redacted]',
      accept: 'a',
    });
  });
});
