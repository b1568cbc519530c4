import { describe, expect, test } from '@jest/globals';
import { safeRedirectPath } from './safe-redirect.js';

describe('safeRedirectPath', () => {
  test('keeps same-site paths with their query and fragment', () => {
    expect(safeRedirectPath('/connections?view=mine#top')).toBe('/connections?view=mine#top');
    expect(safeRedirectPath('/')).toBe('/');
  });

  test.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'relative/path',
    '/ok\r\nSet-Cookie: x=y',
    '',
    undefined,
    ['/a', '/b'],
    `/${'a'.repeat(3000)}`,
  ])('sends %j to /', (candidate) => {
    expect(safeRedirectPath(candidate)).toBe('/');
  });

  test('normalises dot segments without leaving the site', () => {
    expect(safeRedirectPath('/a/../../b')).toBe('/b');
  });
});
