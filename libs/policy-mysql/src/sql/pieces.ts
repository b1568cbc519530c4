/*
 * How a statement is handed on: which kinds the tokens describe completely (never parsed), the
 * text the SQL parser is given, and the statements of a stored-program body.
 */
import type { NestedVia } from './facts.js';
import type { Token } from './lexer.js';
import { findTopLevel } from './prepass.js';
import type { RawStatement } from './split.js';

/**
 * Kinds whose facts the token stream gives completely (no expressions with tables or row
 * filters): the parser is not asked, so they are never `unparsable`.
 */
export const TOKEN_ONLY_KINDS = new Set([
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE PREPARE',
  'USE',
  'ALTER DATABASE',
  'CREATE USER',
  'ALTER USER',
  'DROP USER',
  'RENAME USER',
  'CREATE ROLE',
  'DROP ROLE',
  'SET PASSWORD',
  'SET ROLE',
  'SET DEFAULT ROLE',
  'SET NAMES',
  'SET TRANSACTION',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE SAVEPOINT',
  'ROLLBACK TO SAVEPOINT',
  'XA',
  'LOCK TABLES',
  'UNLOCK TABLES',
  'HELP',
  'SHUTDOWN',
  'RESTART',
  'KILL',
  'FLUSH',
  'RESET',
  'PURGE',
  'BINLOG',
  'INSTALL',
  'UNINSTALL',
  'SHOW',
  'CACHE INDEX',
  'LOAD INDEX',
  'ANALYZE TABLE',
  'OPTIMIZE TABLE',
  'CHECK TABLE',
  'REPAIR TABLE',
  'CHECKSUM TABLE',
  'BACKUP',
  'SIGNAL',
  'RESIGNAL',
  'GET DIAGNOSTICS',
  'REPLICATION',
  'HANDLER',
  'SET STATEMENT',
  'LOAD DATA',
  'LOAD XML',
]);

const INSERT_MODIFIERS = new Set(['INSERT', 'REPLACE', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'INTO']);
const LITERAL_WORDS = new Set(['NULL', 'TRUE', 'FALSE', 'DEFAULT']);

/**
 * `INSERT|REPLACE [INTO] t [(columns)] VALUES (literals), …` — a bulk load (mysqldump's extended
 * inserts, ORMs' batches): the tokens say everything, and sqlparser-rs would spend milliseconds
 * building a tree of the literals.
 */
function literalRowsInsert(tokens: readonly Token[]): boolean {
  let index = 0;
  while (tokens[index]?.type === 'word' && INSERT_MODIFIERS.has((tokens[index] as Token).upper)) index += 1;
  const isName = (token: Token | undefined) => token?.type === 'word' || token?.type === 'identifier';
  if (!isName(tokens[index])) return false;
  index += 1;
  if (tokens[index]?.text === '.' && isName(tokens[index + 1])) index += 2;
  if (tokens[index]?.text === '(') {
    index += 1;
    while (isName(tokens[index]) || tokens[index]?.text === ',') index += 1;
    if (tokens[index]?.text !== ')') return false;
    index += 1;
  }
  if (!['VALUES', 'VALUE'].includes(tokens[index]?.upper ?? '')) return false;
  for (const token of tokens.slice(index + 1)) {
    const literal =
      token.type === 'number' ||
      token.type === 'string' ||
      (token.type === 'punct' && (token.text === '(' || token.text === ')' || token.text === ',')) ||
      (token.type === 'operator' && (token.text === '-' || token.text === '+')) ||
      (token.type === 'word' && LITERAL_WORDS.has(token.upper));
    if (!literal) return false;
  }
  return true;
}

/**
 * Kinds the tokens describe completely, mysqldump's `ALTER TABLE t DISABLE|ENABLE KEYS`, and
 * inserts of literal rows.
 */
export function tokenOnly(kinds: readonly string[], tokens: readonly Token[]): boolean {
  if (TOKEN_ONLY_KINDS.has(kinds[0] ?? '')) return true;
  if ((kinds[0] === 'INSERT' || kinds[0] === 'REPLACE') && kinds.length <= 3) return literalRowsInsert(tokens);
  const words = tokens.map((token) => (token.type === 'word' ? token.upper : token.type));
  const keys = words.length >= 5 && words.at(-1) === 'KEYS' && ['ENABLE', 'DISABLE'].includes(words.at(-2) ?? '');
  return kinds[0] === 'ALTER TABLE' && keys && words.length <= 7;
}

export const PROGRAM_VIA: Readonly<Record<string, NestedVia>> = {
  'CREATE PROCEDURE': 'CREATE PROCEDURE',
  'CREATE FUNCTION': 'CREATE FUNCTION',
  'CREATE TRIGGER': 'CREATE TRIGGER',
  'CREATE EVENT': 'CREATE EVENT',
  'ALTER EVENT': 'ALTER EVENT',
  'CREATE PACKAGE': 'CREATE PACKAGE',
  'CREATE PACKAGE BODY': 'CREATE PACKAGE',
  COMPOUND: 'COMPOUND',
};

const AFTER_INTO = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'FOR',
  'LOCK',
  'WINDOW',
]);

/**
 * The statement as the parser is given it: `DO expr` read as `SELECT expr` (it evaluates the
 * same way); a SELECT's `INTO OUTFILE/DUMPFILE/@var` clause removed (sqlparser-rs does not know
 * it; the pre-pass has already reported the file); `||` and `&&` spelled OR and AND, which is
 * what MySQL means by them, with their precedence (sqlparser-rs reads `||` as concatenation and
 * binds `&&` tighter than `=`: `WHERE id = 5 || 1=1` would look like a row filter).
 */
export function parserText(raw: RawStatement, code: string, kinds: readonly string[]): string {
  const { tokens } = raw;
  const edits: { from: number; to: number; text: string }[] = [];
  if (kinds[0] === 'SELECT') {
    const into = findTopLevel(tokens, 0, (token) => token.upper === 'INTO');
    const target = tokens[into + 1];
    if (into >= 0 && target && (target.type === 'variable' || ['OUTFILE', 'DUMPFILE'].includes(target.upper))) {
      const after = findTopLevel(tokens, into + 1, (token) => token.type === 'word' && AFTER_INTO.has(token.upper));
      const to = after < 0 ? raw.end : (tokens[after] as Token).start;
      edits.push({ from: (tokens[into] as Token).start, to, text: ' ' });
    }
  }
  for (const token of tokens) {
    if (token.type !== 'operator' || (token.text !== '||' && token.text !== '&&')) continue;
    if (edits.some((edit) => token.start >= edit.from && token.start < edit.to)) continue;
    edits.push({ from: token.start, to: token.end, text: token.text === '||' ? ' OR ' : ' AND ' });
  }
  let text = code;
  for (const edit of edits.sort((a, b) => b.from - a.from)) {
    text = text.slice(0, edit.from - raw.start) + edit.text + text.slice(edit.to - raw.start);
  }
  return kinds[0] === 'DO' ? `SELECT ${text.replace(/^\s*do\b/i, '')}` : text;
}

export function sliceOf(tokens: readonly Token[]): RawStatement {
  return {
    tokens,
    start: (tokens[0] as Token).start,
    end: (tokens[tokens.length - 1] as Token).end,
  };
}

/** Words that begin a statement inside a program body. */
const BODY_STATEMENTS = new Set(
  `SELECT INSERT UPDATE DELETE REPLACE TRUNCATE DROP ALTER CREATE RENAME GRANT REVOKE LOAD CALL PREPARE EXECUTE
   DEALLOCATE SET DO HANDLER LOCK UNLOCK FLUSH KILL INSTALL UNINSTALL SHUTDOWN WITH PURGE RESET BINLOG USE
   TABLE VALUES EXPLAIN DESCRIBE DESC ANALYZE SHOW OPTIMIZE REPAIR CHECK CHECKSUM CACHE XA START`
    .trim()
    .split(/\s+/),
);
/** Tokens after which such a word starts a statement (`BEGIN`, `THEN`, `FOR EACH ROW`, a handler's condition…). */
const BODY_STARTERS = new Set(
  [
    ';',
    ')',
    ':',
    'BEGIN',
    'ATOMIC',
    'THEN',
    'ELSE',
    'DO',
    'LOOP',
    'REPEAT',
    'ROW',
    'SQLEXCEPTION',
    'SQLWARNING',
    'FOUND',
  ].map((text) => text),
);

/** The statements of a program body: from each statement word to the next `;`. */
export function programBody(tokens: readonly Token[]): RawStatement[] {
  const pieces: RawStatement[] = [];
  for (let index = 1; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    const previous = tokens[index - 1] as Token;
    if (token.type !== 'word' || !BODY_STATEMENTS.has(token.upper)) continue;
    if (!BODY_STARTERS.has(previous.type === 'word' ? previous.upper : previous.text)) continue;
    let end = index;
    while (end < tokens.length && tokens[end]?.text !== ';') end += 1;
    pieces.push(sliceOf(tokens.slice(index, end)));
  }
  return pieces;
}
