import { describe, expect, test } from '@jest/globals';
import { operationAllowed } from './operations.js';

describe('operationAllowed', () => {
  test('rules naming no SSH operation (older rules) allow all four', () => {
    for (const op of ['shell', 'exec', 'sftp', 'forward'] as const) {
      expect(operationAllowed([['read', 'write']], op)).toBe(true);
      expect(operationAllowed([[]], op)).toBe(true);
    }
  });

  test('a rule naming some allows only those; several rules add up', () => {
    expect(operationAllowed([['exec']], 'exec')).toBe(true);
    expect(operationAllowed([['exec']], 'shell')).toBe(false);
    expect(operationAllowed([['exec', 'read']], 'sftp')).toBe(false);
    expect(operationAllowed([['exec'], ['sftp']], 'sftp')).toBe(true);
    expect(operationAllowed([['exec'], ['read']], 'forward')).toBe(true);
  });

  test('no rule or grant admitting the session allows nothing', () => {
    expect(operationAllowed([], 'shell')).toBe(false);
  });
});
