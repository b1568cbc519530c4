import { describe, expect, test } from '@jest/globals';
import { MigrateError } from './errors.js';
import { nextMigrationFolderName, slugifyMigrationName } from './migration-name.js';

describe('migration folder names', () => {
  test('slugify to lowercase words joined by underscores', () => {
    expect(slugifyMigrationName('Add Account name')).toBe('add_account_name');
    expect(slugifyMigrationName('  crème-brûlée!! v2 ')).toBe('creme_brulee_v2');
    expect(() => slugifyMigrationName('!!!')).toThrow(MigrateError);
  });

  test('prefix the UTC timestamp Prisma uses', () => {
    expect(nextMigrationFolderName('init', [], new Date('2025-03-04T05:06:07.890Z'))).toBe('20250304050607_init');
  });

  test('always sort after the newest existing folder, even within the same second', () => {
    const now = new Date('2025-03-04T05:06:07Z');
    expect(nextMigrationFolderName('b', ['20250304050607_a'], now)).toBe('20250304050608_b');
    expect(nextMigrationFolderName('b', ['20991231235959_future'], now)).toBe('21000101000000_b');
    expect(nextMigrationFolderName('b', ['20250101000000_old', 'not_a_timestamp'], now)).toBe('20250304050607_b');
  });
});
