import { describe, expect, test } from '@jest/globals';
import {
  kubernetesStatusAnswer,
  presentedCredential,
  problemAnswer,
  readRequestHead,
  type RequestHead,
} from './request-head.js';

const head = (text: string) => readRequestHead(Buffer.from(text, 'latin1'), 1024);

describe('readRequestHead', () => {
  test('reads the request line and the fields of a complete head, body bytes after it left alone', () => {
    const read = head('GET /c/api/users/1?x=1 HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer t\r\n\r\n{"body":1}');
    expect(read).toMatchObject({ method: 'GET', target: '/c/api/users/1?x=1' });
    expect((read as RequestHead).headers.get('authorization')).toEqual(['Bearer t']);
  });

  test('null until the head is complete, at every cut', () => {
    const text = 'GET / HTTP/1.1\r\nHost: relay\r\n\r\n';
    for (let cut = 0; cut < text.length; cut++) expect(head(text.slice(0, cut))).toBeNull();
  });

  test('too large → 431; obs-fold, a bad request line or an absolute target → 400', () => {
    expect(readRequestHead(Buffer.alloc(2048, 0x61), 1024)).toMatchObject({ status: 431 });
    expect(head('GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n')).toMatchObject({ status: 400 });
    expect(head('GET /\r\n\r\n')).toMatchObject({ status: 400 });
    expect(head('GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatchObject({ status: 400 });
  });
});

describe('presentedCredential', () => {
  const withAuth = (...values: string[]) =>
    head(`GET / HTTP/1.1\r\nHost: r\r\n${values.map((v) => `Authorization: ${v}\r\n`).join('')}\r\n`) as RequestHead;

  test('Bearer names no user; Basic gives user and credential', () => {
    expect(presentedCredential(withAuth('Bearer abc'))).toEqual({ user: '', password: 'abc', bearer: true });
    const basic = Buffer.from('bob@example.com:pa:ss').toString('base64');
    expect(presentedCredential(withAuth(`Basic ${basic}`))).toEqual({
      user: 'bob@example.com',
      password: 'pa:ss',
      bearer: false,
    });
  });

  test('missing, duplicated or other schemes are told apart (two Authorization headers are refused)', () => {
    expect(presentedCredential(withAuth())).toEqual({ missing: true });
    expect(presentedCredential(withAuth('Bearer a', 'Bearer b'))).toHaveProperty('problem');
    expect(presentedCredential(withAuth('Digest x'))).toHaveProperty('problem');
  });

  test('the header and cookie a connection names, after Authorization, as the agent reads them', () => {
    const places = { header: 'X-Postern-Token', cookie: 'postern' };
    const withFields = (...fields: string[]) =>
      head(`GET / HTTP/1.1\r\nHost: r\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`) as RequestHead;
    const bare = (password: string) => ({ user: '', password, bearer: true });
    expect(presentedCredential(withFields('x-postern-token: tok'), places)).toEqual(bare('tok'));
    expect(presentedCredential(withFields('Cookie: a=1; postern=c%2Bd; b=2'), places)).toEqual(bare('c+d'));
    expect(presentedCredential(withFields('Cookie: a=1', 'Cookie: postern="q"'), places)).toEqual(bare('q'));
    expect(presentedCredential(withFields('Authorization: Bearer first', 'X-Postern-Token: tok'), places)).toEqual(
      bare('first'),
    );
    expect(presentedCredential(withFields('X-Postern-Token: a', 'X-Postern-Token: b'), places)).toHaveProperty(
      'problem',
    );
    // Not named by the connection: not a credential.
    expect(presentedCredential(withFields('X-Postern-Token: tok', 'Cookie: postern=x'))).toEqual({ missing: true });
    expect(presentedCredential(withFields('Cookie: postern=%E0%A4%A'), places)).toHaveProperty('problem');
  });
});

test('problemAnswer is a complete HTTP/1.1 answer that closes the connection', () => {
  const text = problemAnswer(401, 'unauthenticated', 'Authentication failed').toString();
  expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
  expect(text).toContain('connection: close\r\n');
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  expect(JSON.parse(body)).toEqual({
    type: 'urn:postern:unauthenticated',
    title: 'Authentication failed',
    status: 401,
  });
  expect(text).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
});

test('kubernetesStatusAnswer is a Kubernetes Status kubectl prints, and closes the connection', () => {
  const text = kubernetesStatusAnswer(403, 'Postern: no access', { 'x-extra': '1' }).toString();
  expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
  expect(text).toContain('content-type: application/json\r\n');
  expect(text).toContain('connection: close\r\n');
  expect(text).toContain('x-extra: 1\r\n');
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  expect(JSON.parse(body)).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Postern: no access',
    reason: 'Forbidden',
    code: 403,
  });
  expect(text).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
});
