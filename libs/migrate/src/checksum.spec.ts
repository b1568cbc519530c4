import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { checksumMatches, migrationChecksum } from './checksum.js';

// Vectors from prisma-engines' own checksum tests.
describe('checksums compatible with Prisma Migrate', () => {
  test('is the zero-padded SHA-256 hex of the script', () => {
    expect(migrationChecksum('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(migrationChecksum(Buffer.from('abcd'))).toHaveLength(64);
  });

  test('matching ignores CRLF/LF conversions', () => {
    const unix = 'ab\ncd\nef\ngh\rab\n';
    const windows = 'ab\r\ncd\r\nef\r\ngh\rab\r\n';
    expect(checksumMatches(unix, migrationChecksum(windows))).toBe(true);
    expect(checksumMatches(windows, migrationChecksum(unix))).toBe(true);
  });

  test('matching accepts the unpadded hex of old engine versions', () => {
    const script = 'CREATE TABLE t (id INT);\n';
    const legacy = Array.from(createHash('sha256').update(script).digest(), (byte) => byte.toString(16)).join('');
    expect(legacy.length).toBeLessThan(64); // this vector does contain bytes below 0x10
    expect(checksumMatches(script, legacy)).toBe(true);
  });

  test('any other change does not match', () => {
    expect(checksumMatches('abc', migrationChecksum('abcd'))).toBe(false);
    expect(checksumMatches('abc\n', migrationChecksum('abc'))).toBe(false);
  });
});
