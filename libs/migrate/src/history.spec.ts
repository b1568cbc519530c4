import { describe, expect, test } from '@jest/globals';
import { migrationChecksum } from './checksum.js';
import { analyseHistory } from './history.js';
import type { LocalMigration } from './migrations-dir.js';
import type { MigrationRecord } from './migrations-table.js';

const local = (name: string, script = `-- ${name}\n`): LocalMigration => ({
  name,
  script,
  checksum: migrationChecksum(script),
});

let sequence = 0;
const record = (name: string, fields: Partial<MigrationRecord> = {}): MigrationRecord => ({
  id: `id-${++sequence}`,
  checksum: migrationChecksum(`-- ${name}\n`),
  finishedAt: new Date(),
  migrationName: name,
  logs: null,
  rolledBackAt: null,
  startedAt: new Date(),
  appliedStepsCount: 1,
  ...fields,
});

describe('analyseHistory (Prisma rules)', () => {
  test('folders without a row are pending, in directory order', () => {
    const result = analyseHistory([local('1_a'), local('2_b'), local('3_c')], [record('1_a')]);
    expect(result).toMatchObject({
      applied: ['1_a'],
      pending: ['2_b', '3_c'],
      failed: [],
      edited: [],
      missingFromDirectory: [],
    });
  });

  test('an unfinished row that is not rolled back is failed, and not pending', () => {
    const result = analyseHistory([local('1_a'), local('2_b')], [record('1_a'), record('2_b', { finishedAt: null })]);
    expect(result.failed.map((row) => row.migrationName)).toEqual(['2_b']);
    expect(result.pending).toEqual([]);
  });

  test('rolled-back rows are ignored, so the migration is pending again', () => {
    const rolledBack = record('2_b', { finishedAt: null, rolledBackAt: new Date() });
    const result = analyseHistory([local('1_a'), local('2_b')], [record('1_a'), rolledBack]);
    expect(result).toMatchObject({ applied: ['1_a'], pending: ['2_b'], failed: [] });
  });

  test('checksum mismatches of applied migrations are edits', () => {
    const result = analyseHistory([local('1_a', 'changed\n')], [record('1_a')]);
    expect(result.edited).toEqual([
      { name: '1_a', recordedChecksum: migrationChecksum('-- 1_a\n'), fileChecksum: migrationChecksum('changed\n') },
    ]);
  });

  test('applied migrations without a folder are reported', () => {
    expect(analyseHistory([local('1_a')], [record('1_a'), record('2_b')]).missingFromDirectory).toEqual(['2_b']);
  });
});
