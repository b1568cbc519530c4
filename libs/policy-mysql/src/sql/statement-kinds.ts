/*
 * A statement's kinds from its leading keywords (the vocabulary is kinds.ts): `DROP TEMPORARY
 * TABLE IF EXISTS t` is ["DROP TABLE", "DROP"], `WITH … DELETE` is ["DELETE"], a labelled block or
 * a top-level IF is ["COMPOUND"].
 */
import type { Token } from './lexer.js';

/** Leading keywords of one statement, read through a cursor over its tokens. */
class Words {
  index = 0;
  constructor(readonly tokens: readonly Token[]) {}

  /** The upper-cased word at `index + ahead`, or '' (quoted names and punctuation are not words). */
  peek(ahead = 0): string {
    const token = this.tokens[this.index + ahead];
    return token?.type === 'word' ? token.upper : '';
  }

  /** Consumes the words given when they come next, in order. */
  accept(...words: string[]): boolean {
    if (!words.every((word, offset) => this.peek(offset) === word)) return false;
    this.index += words.length;
    return true;
  }
}

const NOUN_WORDS: Readonly<Record<string, string>> = {
  TABLE: 'TABLE',
  TABLES: 'TABLE',
  VIEW: 'VIEW',
  INDEX: 'INDEX',
  KEY: 'INDEX',
  DATABASE: 'DATABASE',
  SCHEMA: 'DATABASE',
  FUNCTION: 'FUNCTION',
  PROCEDURE: 'PROCEDURE',
  TRIGGER: 'TRIGGER',
  EVENT: 'EVENT',
  USER: 'USER',
  ROLE: 'ROLE',
  SERVER: 'SERVER',
  TABLESPACE: 'TABLESPACE',
  SEQUENCE: 'SEQUENCE',
  INSTANCE: 'INSTANCE',
};

/** Modifiers between CREATE/ALTER/DROP and the object noun (`CREATE OR REPLACE TEMPORARY TABLE`). */
const DDL_MODIFIERS = new Set([
  'OR',
  'REPLACE',
  'TEMPORARY',
  'UNIQUE',
  'FULLTEXT',
  'SPATIAL',
  'ONLINE',
  'OFFLINE',
  'IGNORE',
  'AGGREGATE',
  'UNDO',
  'SQL',
  'SECURITY',
  'DEFINER',
  'INVOKER',
  'ALGORITHM',
  'UNDEFINED',
  'MERGE',
  'TEMPTABLE',
  'NONBLOCKING',
]);

/** The object noun after CREATE/ALTER/DROP, skipping modifiers and `DEFINER = user@host`. */
function ddlNoun(words: Words): string | null {
  const { tokens } = words;
  for (let index = words.index; index < tokens.length && index < words.index + 24; index += 1) {
    const token = tokens[index] as Token;
    if (token.type !== 'word') {
      // DEFINER = 'u'@'h' / ALGORITHM = MERGE: skip the value.
      if (token.text === '=' || token.type === 'string' || token.type === 'identifier' || token.type === 'variable') {
        continue;
      }
      return null;
    }
    const upper = token.upper;
    if (upper === 'LOGFILE' && tokens[index + 1]?.upper === 'GROUP') return 'LOGFILE GROUP';
    if (upper === 'RESOURCE' && tokens[index + 1]?.upper === 'GROUP') return 'RESOURCE GROUP';
    if (upper === 'SPATIAL' && tokens[index + 1]?.upper === 'REFERENCE') return 'SPATIAL REFERENCE SYSTEM';
    if (upper === 'PACKAGE') return tokens[index + 1]?.upper === 'BODY' ? 'PACKAGE BODY' : 'PACKAGE';
    const noun = NOUN_WORDS[upper];
    if (noun) return noun;
    if (!DDL_MODIFIERS.has(upper) && tokens[index - 1]?.text !== '=') return null;
  }
  return null;
}

function verbObject(verb: string, words: Words): string[] {
  const noun = ddlNoun(words);
  return noun ? [`${verb} ${noun}`, verb] : [verb];
}

/** Kinds of a statement's data-changing body (after WITH … or SET STATEMENT … FOR). */
function dmlKinds(first: string, tokens: readonly Token[]): string[] | null {
  switch (first) {
    case 'SELECT':
    case 'TABLE':
    case 'VALUES':
      return [first === 'SELECT' ? 'SELECT' : first, ...(first === 'SELECT' ? [] : ['SELECT'])];
    case 'INSERT':
      return onDuplicateKeyUpdate(tokens) ? ['INSERT', 'UPDATE'] : ['INSERT'];
    case 'REPLACE':
      return ['REPLACE', 'INSERT', 'DELETE'];
    case 'UPDATE':
      return ['UPDATE'];
    case 'DELETE':
      return ['DELETE'];
    default:
      return null;
  }
}

function onDuplicateKeyUpdate(tokens: readonly Token[]): boolean {
  return tokens.some(
    (token, index) =>
      token.upper === 'DUPLICATE' && tokens[index + 1]?.upper === 'KEY' && tokens[index + 2]?.upper === 'UPDATE',
  );
}

/** Index of the first top-level DML keyword after a `WITH` clause, or -1. */
export function afterWithClause(tokens: readonly Token[], from: number): number {
  let depth = 0;
  for (let index = from; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (token.text === '(') depth += 1;
    else if (token.text === ')') depth -= 1;
    else if (depth === 0 && token.type === 'word' && dmlKinds(token.upper, tokens) !== null) return index;
  }
  return -1;
}

const COMPOUND_WORDS = new Set(['IF', 'CASE', 'LOOP', 'WHILE', 'REPEAT']);

/** Kinds of one statement from its tokens, most specific first; ["UNKNOWN"] when unrecognised. */
export function statementKinds(tokens: readonly Token[]): string[] {
  const words = new Words(tokens);
  // A parenthesised query: ((SELECT …) UNION (SELECT …)).
  if (tokens[0]?.text === '(') {
    const inner = tokens.findIndex((token) => token.type === 'word');
    return inner >= 0 && ['SELECT', 'WITH', 'VALUES', 'TABLE'].includes(tokens[inner]?.upper ?? '')
      ? ['SELECT']
      : ['UNKNOWN'];
  }
  const first = words.peek();
  // A labelled block (`lbl: BEGIN NOT ATOMIC …`) or a top-level IF/CASE/LOOP/WHILE/REPEAT (MariaDB).
  // No statement starts with a call, so `IF (x > 1) THEN` is the compound statement too.
  if ((tokens[0]?.type === 'word' && tokens[1]?.text === ':') || COMPOUND_WORDS.has(first)) return ['COMPOUND'];
  const dml = dmlKinds(first, tokens);
  if (dml) return dml;
  words.index = 1;
  switch (first) {
    case 'WITH': {
      const body = afterWithClause(tokens, 1);
      return body >= 0 ? (dmlKinds(tokens[body]?.upper ?? '', tokens) ?? ['UNKNOWN']) : ['UNKNOWN'];
    }
    case 'CREATE':
    case 'ALTER':
    case 'DROP':
      if (first === 'DROP' && words.peek() === 'PREPARE') return ['DEALLOCATE PREPARE'];
      return verbObject(first, words);
    case 'RENAME':
      if (words.peek() === 'USER') return ['RENAME USER', 'RENAME', 'ALTER USER', 'ALTER'];
      return ['RENAME TABLE', 'RENAME', 'ALTER TABLE', 'ALTER'];
    case 'TRUNCATE':
      return ['TRUNCATE'];
    case 'CALL':
    case 'DO':
    case 'HANDLER':
    case 'GRANT':
    case 'REVOKE':
    case 'HELP':
    case 'FLUSH':
    case 'PURGE':
    case 'KILL':
    case 'SHUTDOWN':
    case 'RESTART':
    case 'INSTALL':
    case 'UNINSTALL':
    case 'BINLOG':
    case 'SIGNAL':
    case 'RESIGNAL':
    case 'BACKUP':
    case 'CLONE':
    case 'XA':
    case 'SHOW':
    case 'USE':
    case 'SAVEPOINT':
      return [first];
    case 'LOAD':
      if (words.accept('DATA')) return ['LOAD DATA', 'INSERT'];
      if (words.accept('XML')) return ['LOAD XML', 'INSERT'];
      return ['LOAD INDEX'];
    case 'SET':
      return setKinds(words);
    case 'START':
      if (words.peek() === 'TRANSACTION') return ['BEGIN', 'TRANSACTION'];
      return ['REPLICATION'];
    case 'STOP':
    case 'CHANGE':
      return ['REPLICATION'];
    case 'BEGIN':
      // `BEGIN NOT ATOMIC … END` (MariaDB) is a compound statement; otherwise a transaction.
      if (words.peek() === 'NOT') return ['COMPOUND'];
      return ['BEGIN', 'TRANSACTION'];
    case 'COMMIT':
      return ['COMMIT', 'TRANSACTION'];
    case 'ROLLBACK':
      return rollbackKinds(tokens);
    case 'RELEASE':
      return ['RELEASE SAVEPOINT', 'TRANSACTION'];
    case 'LOCK':
      return ['LOCK TABLES'];
    case 'UNLOCK':
      return ['UNLOCK TABLES'];
    case 'PREPARE':
      return ['PREPARE'];
    case 'EXECUTE':
      return words.peek() === 'IMMEDIATE' ? ['EXECUTE IMMEDIATE', 'EXECUTE'] : ['EXECUTE'];
    case 'DEALLOCATE':
      return ['DEALLOCATE PREPARE'];
    case 'EXPLAIN':
    case 'DESCRIBE':
    case 'DESC':
      return ['EXPLAIN'];
    case 'ANALYZE':
      return words.peek() === 'TABLE' || words.peek() === 'TABLES' ? ['ANALYZE TABLE', 'ANALYZE'] : ['ANALYZE'];
    case 'OPTIMIZE':
    case 'CHECK':
    case 'REPAIR':
      return words.peek() === 'TABLE' || words.peek() === 'TABLES' ? [`${first} TABLE`] : ['UNKNOWN'];
    case 'CHECKSUM':
      return ['CHECKSUM TABLE'];
    case 'RESET':
      return ['RESET'];
    case 'CACHE':
      return ['CACHE INDEX'];
    case 'GET':
      return ['GET DIAGNOSTICS'];
    case 'IMPORT':
      return ['IMPORT TABLE'];
    default:
      return ['UNKNOWN'];
  }
}

function setKinds(words: Words): string[] {
  const next = words.peek();
  if (next === 'PASSWORD') return ['SET PASSWORD', 'ALTER USER', 'ALTER', 'SET'];
  if (next === 'ROLE') return ['SET ROLE', 'SET'];
  if (next === 'DEFAULT' && words.peek(1) === 'ROLE') return ['SET DEFAULT ROLE', 'SET'];
  if (next === 'STATEMENT') return ['SET STATEMENT', 'SET'];
  if (next === 'NAMES' || next === 'CHARSET' || (next === 'CHARACTER' && words.peek(1) === 'SET')) {
    return ['SET NAMES', 'SET'];
  }
  const scope = ['GLOBAL', 'SESSION', 'LOCAL', 'PERSIST', 'PERSIST_ONLY'].includes(next) ? 1 : 0;
  if (words.peek(scope) === 'TRANSACTION') return ['SET TRANSACTION', 'SET'];
  return ['SET'];
}

function rollbackKinds(tokens: readonly Token[]): string[] {
  const to = tokens.findIndex((token) => token.upper === 'TO');
  return to > 0 && tokens[to - 1]?.upper !== 'AND'
    ? ['ROLLBACK TO SAVEPOINT', 'TRANSACTION']
    : ['ROLLBACK', 'TRANSACTION'];
}
