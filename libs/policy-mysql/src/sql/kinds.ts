/*
 * MySQL/MariaDB statement kinds: what `statementKinds` in a rule can name, and how a statement's
 * leading keywords map to them. A statement carries several kinds, most specific first:
 * `DROP TABLE t` is ["DROP TABLE", "DROP"]. Every write carries the kind of write it performs:
 * REPLACE deletes the rows it collides with (["REPLACE", "INSERT", "DELETE"]), `INSERT … ON
 * DUPLICATE KEY UPDATE` updates them, `LOAD DATA` inserts.
 *
 * Kinds come from the token stream (leading keywords, statement-kinds.ts), not from the SQL
 * parser, so a statement the parser cannot read still has its kinds.
 */
const NOUNS = [
  'TABLE',
  'VIEW',
  'INDEX',
  'DATABASE',
  'FUNCTION',
  'PROCEDURE',
  'TRIGGER',
  'EVENT',
  'USER',
  'ROLE',
  'SERVER',
  'TABLESPACE',
  'LOGFILE GROUP',
  'SEQUENCE',
  'PACKAGE',
  'PACKAGE BODY',
  'RESOURCE GROUP',
  'SPATIAL REFERENCE SYSTEM',
  'INSTANCE',
] as const;

const SIMPLE_KINDS = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'TRUNCATE',
  'CALL',
  'DO',
  'HANDLER',
  'LOAD DATA',
  'LOAD XML',
  'LOAD INDEX',
  'TABLE',
  'VALUES',
  'DROP',
  'ALTER',
  'CREATE',
  'RENAME',
  'RENAME TABLE',
  'RENAME USER',
  'GRANT',
  'REVOKE',
  'SET',
  'SET PASSWORD',
  'SET ROLE',
  'SET DEFAULT ROLE',
  'SET TRANSACTION',
  'SET NAMES',
  'SET STATEMENT',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE SAVEPOINT',
  'ROLLBACK TO SAVEPOINT',
  'XA',
  'LOCK TABLES',
  'UNLOCK TABLES',
  'TRANSACTION',
  'PREPARE',
  'EXECUTE',
  'EXECUTE IMMEDIATE',
  'DEALLOCATE PREPARE',
  'SHOW',
  'EXPLAIN',
  'USE',
  'HELP',
  'ANALYZE',
  'ANALYZE TABLE',
  'OPTIMIZE TABLE',
  'CHECK TABLE',
  'REPAIR TABLE',
  'CHECKSUM TABLE',
  'FLUSH',
  'RESET',
  'PURGE',
  'KILL',
  'SHUTDOWN',
  'RESTART',
  'INSTALL',
  'UNINSTALL',
  'REPLICATION',
  'BINLOG',
  'CACHE INDEX',
  'GET DIAGNOSTICS',
  'SIGNAL',
  'RESIGNAL',
  'BACKUP',
  'CLONE',
  'IMPORT TABLE',
  'COMPOUND',
  'UNKNOWN',
] as const;

/** Every kind the analyser can produce (and therefore every kind a rule may name). */
export const STATEMENT_KINDS: ReadonlySet<string> = new Set([
  ...SIMPLE_KINDS,
  ...['DROP', 'ALTER', 'CREATE'].flatMap((verb) => NOUNS.map((noun) => `${verb} ${noun}`)),
]);

/** Other spellings accepted in rules, mapped to the kind the analyser produces. */
export const STATEMENT_KIND_ALIASES: Readonly<Record<string, string>> = {
  'CREATE SCHEMA': 'CREATE DATABASE',
  'ALTER SCHEMA': 'ALTER DATABASE',
  'DROP SCHEMA': 'DROP DATABASE',
  'START TRANSACTION': 'BEGIN',
  'DROP PREPARE': 'DEALLOCATE PREPARE',
  DEALLOCATE: 'DEALLOCATE PREPARE',
  DESCRIBE: 'EXPLAIN',
  DESC: 'EXPLAIN',
  RELEASE: 'RELEASE SAVEPOINT',
  'LOCK TABLE': 'LOCK TABLES',
  'UNLOCK TABLE': 'UNLOCK TABLES',
  'LOAD DATA INFILE': 'LOAD DATA',
  'CHANGE MASTER': 'REPLICATION',
};

/** Canonical form of a kind written in a rule, or null when it is not in the vocabulary. */
export function canonicalStatementKind(written: string): string | null {
  const spaced = written.trim().replace(/\s+/g, ' ').toUpperCase();
  const kind = STATEMENT_KIND_ALIASES[spaced] ?? spaced;
  return STATEMENT_KINDS.has(kind) ? kind : null;
}
