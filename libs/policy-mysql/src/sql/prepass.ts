/*
 * What the token stream alone tells about one statement, before (and regardless of) the SQL
 * parser: the MySQL-specific facts (files, prepared statements, variables set, USE) and the
 * fallback relations and functions used when the parser cannot read the statement.
 */
import type { FunctionRef, QualifiedName } from '@postern/policy';
import { BUILTIN_FUNCTIONS } from './builtin-functions.js';
import type { Token } from './lexer.js';
import { foldName } from './names.js';

/** A variable a SET statement assigns. */
export interface VariableAssignment {
  /** Lower case, without `@`/`@@` or scope prefix: `sql_mode`, `@x` keeps its `@` (user variable). */
  readonly name: string;
  readonly scope: 'global' | 'session' | 'user';
}

/** Where SQL text to run comes from (PREPARE … FROM, EXECUTE IMMEDIATE). */
export type DynamicSql = { readonly text: string } | { readonly text: null };

export interface TokenFacts {
  readonly flags: Set<string>;
  readonly variables: VariableAssignment[];
  readonly schemas: string[];
  /** PREPARE name FROM …: the prepared statement's name. */
  readonly prepareName: string | null;
  /** EXECUTE name: the prepared statement run. */
  readonly executeName: string | null;
  /** SQL run or prepared by this statement, when any (text null: from an expression, unresolved). */
  readonly dynamicSql: DynamicSql | null;
  /** `SET STATEMENT … FOR stmt`, `EXPLAIN ANALYZE stmt`, MariaDB `ANALYZE stmt`: index of stmt's first token. */
  readonly innerStatement: number;
  /** The clause of the top-level statement has a WHERE at parenthesis depth 0. */
  readonly hasWhere: boolean;
  readonly hasLimit: boolean;
}

const word = (token: Token | undefined): string => (token?.type === 'word' ? token.upper : '');

/** Index of the first token at parenthesis depth 0 satisfying `test`, from `from`; -1 if none. */
export function findTopLevel(tokens: readonly Token[], from: number, test: (token: Token) => boolean): number {
  let depth = 0;
  for (let index = from; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (token.text === '(' && token.type === 'punct') depth += 1;
    else if (token.text === ')' && token.type === 'punct') depth -= 1;
    else if (depth === 0 && test(token)) return index;
  }
  return -1;
}

export function readTokenFacts(tokens: readonly Token[], kinds: readonly string[]): TokenFacts {
  const flags = new Set<string>();
  const facts = {
    flags,
    variables: [] as VariableAssignment[],
    schemas: [] as string[],
    prepareName: null as string | null,
    executeName: null as string | null,
    dynamicSql: null as DynamicSql | null,
    innerStatement: -1,
    hasWhere: findTopLevel(tokens, 0, (token) => token.upper === 'WHERE') >= 0,
    hasLimit: findTopLevel(tokens, 0, (token) => token.upper === 'LIMIT') >= 0,
  };
  const first = word(tokens[0]);
  if (tokens.some((token) => token.executable)) flags.add('executableComment');
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (token.upper === 'INTO' && ['OUTFILE', 'DUMPFILE'].includes(word(tokens[index + 1]))) {
      flags.add('writesFile');
      flags.add('serverFile');
    }
    if (token.upper === 'LOAD_FILE' && tokens[index + 1]?.text === '(') flags.add('serverFile');
  }
  if (kinds.includes('LOAD DATA') || kinds.includes('LOAD XML')) {
    flags.add('loadData');
    const infile = tokens.findIndex((token) => token.upper === 'INFILE');
    flags.add(
      infile > 0 && tokens.slice(0, infile).some((token) => token.upper === 'LOCAL') ? 'localFile' : 'serverFile',
    );
  }
  if (['PREPARE', 'EXECUTE', 'DEALLOCATE', 'DROP'].includes(first) && kinds.some(isPreparedKind)) flags.add('prepared');
  if (first === 'PREPARE') {
    facts.prepareName = nameOf(tokens[1]);
    const from = tokens.findIndex((token) => token.upper === 'FROM');
    facts.dynamicSql = dynamicText(tokens, from + 1);
  } else if (first === 'EXECUTE' && word(tokens[1]) === 'IMMEDIATE') {
    facts.dynamicSql = dynamicText(tokens, 2);
  } else if (first === 'EXECUTE') {
    facts.executeName = nameOf(tokens[1]);
  } else if (first === 'SET') {
    readSet(tokens, facts);
  } else if (first === 'USE' && tokens[1]) {
    facts.schemas.push(foldName(tokens[1].value));
  } else if ((first === 'EXPLAIN' || first === 'DESCRIBE' || first === 'DESC' || first === 'ANALYZE') && tokens[1]) {
    // EXPLAIN ANALYZE (MySQL) and ANALYZE <statement> (MariaDB) run the statement.
    const analyze = first === 'ANALYZE' ? 1 : word(tokens[1]) === 'ANALYZE' ? 2 : -1;
    if (analyze > 0 && !['TABLE', 'TABLES', 'NO_WRITE_TO_BINLOG', 'LOCAL'].includes(word(tokens[analyze]))) {
      let inner = analyze;
      while (word(tokens[inner]) === 'FORMAT' || tokens[inner]?.text === '=' || word(tokens[inner - 1]) === 'FORMAT') {
        inner += 1;
      }
      facts.innerStatement = inner;
    }
  }
  return facts;
}

function isPreparedKind(kind: string): boolean {
  return kind === 'PREPARE' || kind === 'EXECUTE' || kind === 'DEALLOCATE PREPARE';
}

function nameOf(token: Token | undefined): string | null {
  return token && (token.type === 'word' || token.type === 'identifier') ? foldName(token.value) : null;
}

/** The SQL text of PREPARE … FROM / EXECUTE IMMEDIATE: a lone string literal, else unresolved. */
function dynamicText(tokens: readonly Token[], from: number): DynamicSql {
  const rest = tokens.slice(from);
  const onlyString = rest.length === 1 && rest[0]?.type === 'string';
  return onlyString ? { text: (rest[0] as Token).value } : { text: null };
}

const SCOPES: Readonly<Record<string, 'global' | 'session'>> = {
  GLOBAL: 'global',
  PERSIST: 'global',
  PERSIST_ONLY: 'global',
  SESSION: 'session',
  LOCAL: 'session',
};

/** `SET [scope] name = v, @x := v, @@global.name = v …` (and `SET STATEMENT … FOR stmt`). */
function readSet(tokens: readonly Token[], facts: TokenFacts & { innerStatement: number }): void {
  const { flags, variables } = facts;
  if (word(tokens[1]) === 'STATEMENT') {
    const forIndex = findTopLevel(tokens, 2, (token) => token.upper === 'FOR');
    if (forIndex > 0) facts.innerStatement = forIndex + 1;
  }
  if (['PASSWORD', 'ROLE', 'NAMES', 'CHARSET', 'CHARACTER'].includes(word(tokens[1]))) return;
  let index = word(tokens[1]) === 'STATEMENT' ? 2 : 1;
  const end = facts.innerStatement > 0 ? facts.innerStatement - 1 : tokens.length;
  while (index < end) {
    let scope: 'global' | 'session' | 'user' = SCOPES[word(tokens[index])] ?? 'session';
    if (SCOPES[word(tokens[index])]) index += 1;
    const token = tokens[index];
    if (!token) break;
    let name: string;
    if (token.type === 'variable') {
      const text = token.upper;
      if (text.startsWith('@@')) {
        const [prefix, ...rest] = text.slice(2).split('.');
        if (rest.length > 0 && (prefix === 'global' || prefix === 'persist' || prefix === 'persist_only')) {
          scope = 'global';
        }
        name =
          rest.length > 0 && prefix && ['global', 'session', 'local', 'persist', 'persist_only'].includes(prefix)
            ? rest.join('.')
            : text.slice(2);
      } else {
        scope = 'user';
        name = text;
      }
    } else {
      name = foldName(token.value);
      if (word(tokens[index]) === 'TRANSACTION') break;
    }
    variables.push({ name, scope });
    const comma = findTopLevel(tokens, index + 1, (next) => next.text === ',');
    if (comma < 0 || comma >= end) break;
    index = comma + 1;
  }
  for (const variable of variables) {
    if (variable.scope === 'user') continue;
    flags.add('systemVariable');
    if (variable.scope === 'global') flags.add('globalVariable');
    if (variable.name === 'sql_mode') flags.add('sqlMode');
    if (variable.name === 'sql_log_bin') flags.add('binlog');
  }
}

/** Keywords that take a parenthesis without being calls. */
const NOT_CALLS = new Set(
  `IN VALUES VALUE EXISTS AS ON USING INTO TABLE KEY INDEX PRIMARY UNIQUE FOREIGN REFERENCES CHECK CONSTRAINT
   OVER PARTITION WINDOW FROM JOIN WHERE AND OR NOT XOR SELECT ROW ROWS WITH RECURSIVE ALL ANY SOME IS LIKE
   BETWEEN THEN ELSE WHEN CASE RETURNS RETURN PROCEDURE FUNCTION TRIGGER VIEW SET DISTINCT UNION EXCEPT
   INTERSECT LATERAL DUAL FOR EACH BY HAVING LIMIT OFFSET ORDER GROUP AGAINST COLUMNS FULLTEXT SPATIAL
   INT INTEGER TINYINT SMALLINT MEDIUMINT BIGINT DECIMAL NUMERIC DEC FIXED FLOAT DOUBLE REAL BIT CHAR
   VARCHAR BINARY VARBINARY TEXT BLOB ENUM DATETIME TIMESTAMP TIME YEAR NCHAR NVARCHAR CHARACTER VARYING
   DESC ASC IF IGNORE REPLACE UPDATE DELETE INSERT CALL DO DUPLICATE`
    .trim()
    .split(/\s+/),
);
/** Before a name, these make it a relation (or column list owner), not a call. */
const RELATION_INTRODUCERS = new Set(['INTO', 'TABLE', 'FROM', 'JOIN', 'UPDATE', 'REFERENCES', 'ON', 'VIEW']);

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
