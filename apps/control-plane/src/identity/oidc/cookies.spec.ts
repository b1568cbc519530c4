import { describe, expect, test } from '@jest/globals';
import { readCookie, serializeCookie } from './cookies.js';

describe('cookies', () => {
  test('are HttpOnly and SameSite=Lax, Secure when asked', () => {
    expect(serializeCookie('postern_session', 'a.b.c', { path: '/', maxAgeSeconds: 300, secure: true })).toBe(
      'postern_session=a.b.c; Path=/; Max-Age=300; HttpOnly; SameSite=Lax; Secure',
    );
  });

  test('are deleted with Max-Age=0 and a past expiry', () => {
    expect(serializeCookie('x', '', { path: '/auth', maxAgeSeconds: 0, secure: false })).toBe(
      'x=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    );
  });

  test('are read by exact name from a Cookie header', () => {
    const header = 'other_postern_session=no; postern_session=a%3Db; z=1';
    expect(readCookie(header, 'postern_session')).toBe('a=b');
    expect(readCookie(header, 'missing')).toBeUndefined();
    expect(readCookie(undefined, 'postern_session')).toBeUndefined();
    expect(readCookie('postern_session=%E0%A4%A', 'postern_session')).toBeUndefined();
  });
});
