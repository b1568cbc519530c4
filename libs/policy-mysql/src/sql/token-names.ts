/*
 * Names and calls read from the token stream alone: what a rule can still match when the parser
 * could not read a statement (or never parses it: SHOW, account statements, program bodies).
 * Over-inclusive on purpose: a CTE name or an alias may come out as a relation.
 */
import type { FunctionRef, QualifiedName } from '@postern/policy';
import { BUILTIN_FUNCTIONS } from './builtin-functions.js';
import type { Token } from './lexer.js';
import { foldName } from './names.js';

const word = (token: Token | undefined): string => (token?.type === 'word' ? token.upper : '');

/** Keywords that take a parenthesis without being calls. */
const NOT_CALLS = new Set(
  `IN VALUES VALUE EXISTS AS ON USING INTO TABLE KEY INDEX PRIMARY UNIQUE FOREIGN REFERENCES CHECK CONSTRAINT
   OVER PARTITION WINDOW FROM JOIN WHERE AND OR NOT XOR SELECT ROW ROWS WITH RECURSIVE ALL ANY SOME IS LIKE
   BETWEEN THEN ELSE WHEN CASE RETURNS RETURN PROCEDURE FUNCTION TRIGGER VIEW SET DISTINCT UNION EXCEPT
   INTERSECT LATERAL DUAL FOR EACH BY HAVING LIMIT OFFSET ORDER GROUP AGAINST COLUMNS FULLTEXT SPATIAL
   INT INTEGER TINYINT SMALLINT MEDIUMINT BIGINT DECIMAL NUMERIC DEC FIXED FLOAT DOUBLE REAL BIT CHAR
   VARCHAR BINARY VARBINARY TEXT BLOB ENUM DATETIME TIMESTAMP TIME YEAR NCHAR NVARCHAR CHARACTER VARYING
   DESC ASC IF IGNORE REPLACE UPDATE DELETE INSERT CALL DO DUPLICATE THAN`
    .trim()
    .split(/\s+/),
);
/** Before a name, these make it a relation (or column list owner), not a call. */
const RELATION_INTRODUCERS = new Set([
  'INTO',
  'TABLE',
  'FROM',
  'JOIN',
  'UPDATE',
  'REFERENCES',
  'ON',
  'VIEW',
  // CREATE PROCEDURE p(…), KEY name (col): names being defined, not calls.
  'PROCEDURE',
  'FUNCTION',
  'KEY',
  'INDEX',
]);

/**
 * Calls seen in the tokens: a name (or `db.name`) followed by `(`. With the parser's result this
 * adds the built-ins it represents as special syntax; alone (unparsable text) it is all there is.
 */
export function tokenCalls(tokens: readonly Token[], builtinsOnly: boolean): FunctionRef[] {
  const calls: FunctionRef[] = [];
  for (let index = 0; index + 1 < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (tokens[index + 1]?.text !== '(' || (token.type !== 'word' && token.type !== 'identifier')) continue;
    if (token.type === 'word' && NOT_CALLS.has(token.upper)) continue;
    const qualified = tokens[index - 1]?.text === '.' && tokens[index - 2] !== undefined;
    const schemaToken = qualified ? (tokens[index - 2] as Token) : null;
    const before = tokens[qualified ? index - 3 : index - 1];
    if (before && RELATION_INTRODUCERS.has(word(before))) continue;
    const name = foldName(token.value);
    const schema = schemaToken ? foldName(schemaToken.value) : null;
    const builtin = schema === null && token.type === 'word' && BUILTIN_FUNCTIONS.has(name);
    if (builtinsOnly && !builtin) continue;
    calls.push({ schema, name, builtin, attributeNotation: false });
  }
  return calls;
}

const NAME_SKIP = new Set([
  'TABLE',
  'IF',
  'NOT',
  'EXISTS',
  'LOW_PRIORITY',
  'IGNORE',
  'QUICK',
  'DELAYED',
  'HIGH_PRIORITY',
  'ONLY',
]);
const LIST_INTRODUCERS = new Set(['FROM', 'TABLE', 'TABLES', 'TRUNCATE', 'UPDATE']);
const INTRODUCERS = new Set([...LIST_INTRODUCERS, 'JOIN', 'INTO', 'HANDLER', 'DESCRIBE', 'DESC', 'STRAIGHT_JOIN']);
const NOT_NAMES = new Set([
  'FROM',
  'IN',
  'LIKE',
  'AS',
  'ON',
  'USING',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ORDER',
  'GROUP',
  'LIMIT',
  'UNION',
  'PARTITION',
  'FOR',
  'LOCK',
  'READ',
  'WRITE',
  'SELECT',
  'WITH',
  'LATERAL',
  'DUAL',
  'OUTFILE',
  'DUMPFILE',
  'SET',
  'VALUES',
  'VALUE',
  'WHERE',
  'STATUS',
]);

/** `name` or `db.name` at `index` (word or `quoted`), or null. */
function readName(tokens: readonly Token[], index: number): { name: QualifiedName; end: number } | null {
  const part = (token: Token | undefined) =>
    token && (token.type === 'identifier' || (token.type === 'word' && !NOT_NAMES.has(token.upper)))
      ? foldName(token.value)
      : null;
  const first = part(tokens[index]);
  if (first === null) return null;
  if (tokens[index + 1]?.text === '.') {
    const second = tokens[index + 2]?.text === '*' ? '*' : part(tokens[index + 2]);
    if (second !== null) return { name: { schema: first, name: second }, end: index + 3 };
  }
  return { name: { schema: null, name: first }, end: index + 1 };
}

/**
 * Relations named after FROM/JOIN/INTO/UPDATE/TABLE/TRUNCATE/HANDLER…, comma lists included:
 * what a rule can still match when the parser could not read the statement. Over-inclusive on
 * purpose (a CTE name or an alias may come out as a relation).
 */
export function tokenRelations(tokens: readonly Token[]): QualifiedName[] {
  const relations: QualifiedName[] = [];
  for (let index = 0; index < tokens.length; index += 1) {
    const keyword = word(tokens[index]);
    const onObject = keyword === 'ON' && ['GRANT', 'REVOKE', 'CREATE'].includes(word(tokens[0]));
    if (!INTRODUCERS.has(keyword) && !onObject) continue;
    if (keyword === 'UPDATE' && index > 0 && word(tokens[index - 1]) === 'KEY') continue;
    let cursor = index + 1;
    while (NAME_SKIP.has(word(tokens[cursor]))) cursor += 1;
    for (;;) {
      const read = readName(tokens, cursor);
      if (!read) break;
      relations.push(read.name);
      cursor = read.end;
      if (!LIST_INTRODUCERS.has(keyword)) break;
      // Skip an alias (`t AS x`, `t x`) or a lock mode (`t READ`), then continue after a comma.
      const comma = tokens.findIndex((token, at) => at >= cursor && (token.text === ',' || isClauseWord(token)));
      if (comma < 0 || tokens[comma]?.text !== ',' || comma > cursor + 3) break;
      cursor = comma + 1;
    }
  }
  return relations;
}

function isClauseWord(token: Token): boolean {
  return (
    token.type === 'word' &&
    ['WHERE', 'JOIN', 'SET', 'ON', 'USING', 'GROUP', 'ORDER', 'LIMIT', 'SELECT', 'VALUES', 'INNER', 'LEFT'].includes(
      token.upper,
    )
  );
}

const TABLE_SHOWS = new Set(['COLUMNS', 'FIELDS', 'INDEX', 'INDEXES', 'KEYS']);

/**
 * Databases and tables a statement names outside table positions: `CREATE|ALTER|DROP DATABASE
 * db`, and SHOW's `FROM|IN` (`SHOW TABLES FROM db`, `SHOW COLUMNS FROM t FROM db`, `SHOW CREATE
 * TABLE db.t`). Relations here replace tokenRelations' for SHOW.
 */
export function tokenSchemasAndShows(tokens: readonly Token[]): {
  schemas: string[];
  relations: QualifiedName[] | null;
} {
  const schemas: string[] = [];
  for (let index = 0; index < Math.min(tokens.length, 4); index += 1) {
    if (!['DATABASE', 'SCHEMA'].includes(word(tokens[index]))) continue;
    let cursor = index + 1;
    while (['IF', 'NOT', 'EXISTS'].includes(word(tokens[cursor]))) cursor += 1;
    const read = readName(tokens, cursor);
    if (read && read.name.schema === null) schemas.push(read.name.name);
    break;
  }
  if (word(tokens[0]) !== 'SHOW') return { schemas, relations: null };
  const relations: QualifiedName[] = [];
  let cursor = 1;
  while (['FULL', 'EXTENDED', 'GLOBAL', 'SESSION'].includes(word(tokens[cursor]))) cursor += 1;
  const target = word(tokens[cursor]);
  if (target === 'CREATE') {
    const read = readName(tokens, cursor + 2);
    if (read && ['DATABASE', 'SCHEMA'].includes(word(tokens[cursor + 1]))) schemas.push(read.name.name);
    else if (read) relations.push(read.name);
    return { schemas, relations };
  }
  const places = tokens.flatMap((token, at) => (['FROM', 'IN'].includes(word(token)) ? [at] : []));
  const names = places.map((at) => readName(tokens, at + 1)?.name).filter((name) => name !== undefined);
  if (TABLE_SHOWS.has(target) && names[0]) {
    const table = names[0];
    const database = names[1]?.name ?? table.schema;
    relations.push({ schema: database, name: table.name });
  } else {
    for (const name of names) schemas.push(name.schema ?? name.name);
  }
  schemas.push(...relations.flatMap((relation) => (relation.schema === null ? [] : [relation.schema])));
  return { schemas, relations };
}
