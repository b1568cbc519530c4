/*
 * What the token stream alone tells about one statement, before (and regardless of) the SQL
 * parser: the MySQL-specific facts (files, prepared statements, variables set, USE, statements
 * run by SET STATEMENT/ANALYZE). Fallback names and calls are in token-names.ts.
 */
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
