import { describe, expect, test } from '@jest/globals';
import { checkEndpointUrl, displayUrl } from './notification-url.js';

describe('endpoint URLs', () => {
  test('https always; http only when allowed; never credentials, other schemes or garbage', () => {
    expect(checkEndpointUrl(' https://hooks.example.com/x ', false).href).toBe('https://hooks.example.com/x');
    expect(() => checkEndpointUrl('http://127.0.0.1:9000/x', false)).toThrow(/POSTERN_NOTIFICATIONS_ALLOW_HTTP/);
    expect(checkEndpointUrl('http://127.0.0.1:9000/x', true).port).toBe('9000');
    expect(() => checkEndpointUrl('ftp://example.com/', true)).toThrow(/https:\/\/ or http:\/\//);
    expect(() => checkEndpointUrl('https://user:pw@example.com/', false)).toThrow(/user name or password/);
    expect(() => checkEndpointUrl('not a url', false)).toThrow(/absolute URL/);
    expect(() => checkEndpointUrl(`https://example.com/${'a'.repeat(2100)}`, false)).toThrow(/2048/);
  });

  test('messages never repeat the URL (Slack URLs are secrets)', () => {
    for (const url of ['http://hooks.slack.com/services/T0/B0/SECRETPART', 'https://u:SECRETPART@x/']) {
      try {
        checkEndpointUrl(url, false);
      } catch (error) {
        expect((error as Error).message).not.toContain('SECRETPART');
      }
    }
  });

  test('a Slack URL is shown by its origin only', () => {
    const url = new URL('https://hooks.slack.com/services/T0/B0/SECRETPART');
    expect(displayUrl('SLACK', url)).toBe('https://hooks.slack.com/…');
    expect(displayUrl('WEBHOOK', url)).toBe(url.href);
  });
});
