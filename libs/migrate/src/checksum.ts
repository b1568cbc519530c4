import { createHash } from 'node:crypto';

/**
 * Checksums exactly as Prisma Migrate computes and compares them (prisma-engines,
 * `schema-connector/src/checksum.rs`), so rows we write and rows `prisma migrate deploy` writes are
 * interchangeable.
 */

const CHECKSUM_LENGTH = 64;

/** SHA-256 of the migration.sql bytes, lowercase hex: the value stored in `_prisma_migrations.checksum`. */
export function migrationChecksum(script: Uint8Array | string): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * Whether `script` matches a recorded checksum. Like Prisma, this tolerates CRLF/LF conversions
 * (git may rewrite line endings between the machine that applied a migration and this one) and
 * the non-zero-padded hex that old engine versions wrote (prisma-engines issue 1887).
 */
export function checksumMatches(script: string, recorded: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  const legacy = recorded.length > 0 && recorded.length !== CHECKSUM_LENGTH;
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const rendered = legacy ? Array.from(digest, (byte) => byte.toString(16)).join('') : digest.toString('hex');
    return rendered === recorded;
  });
}
