import { MigrateError } from './errors.js';

/**
 * Folder names in Prisma's format, `<UTC yyyyMMddHHmmss>_<slug>`. Prisma applies migrations in
 * folder-name order, so a new folder must sort after every existing one even when two are created
 * within the same second (or the clock is behind the newest folder).
 */

const MAX_SLUG_LENGTH = 200;
const TIMESTAMP = /^(\d{14})_/;

/** Lowercase ASCII words joined by `_`, like the slug `prisma migrate dev --name` derives. */
export function slugifyMigrationName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_SLUG_LENGTH);
  if (slug === '') {
    throw new MigrateError(
      'INVALID_MIGRATION_NAME',
      `"${name}" does not make a migration name: use letters or digits.`,
    );
  }
  return slug;
}

export function nextMigrationFolderName(slug: string, existing: readonly string[], now: Date = new Date()): string {
  let timestamp = formatTimestamp(now);
  const newest = existing
    .map((name) => TIMESTAMP.exec(name)?.[1])
    .filter((value): value is string => value !== undefined)
    .sort()
    .at(-1);
  if (newest !== undefined && timestamp <= newest) timestamp = formatTimestamp(new Date(parseTimestamp(newest) + 1000));
  return `${timestamp}_${slug}`;
}

function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

function parseTimestamp(timestamp: string): number {
  const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((start, index) =>
    Number(timestamp.slice(start, index === 0 ? 4 : start + 2)),
  ) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second);
}
