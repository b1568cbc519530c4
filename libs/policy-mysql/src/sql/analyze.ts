/*
 * Text → facts: the lexer unwraps executable comments and drops comments, the splitter finds the
 * statements, the token pre-pass reads what the token stream alone tells (kinds, files, prepared
 * statements, variables), and sqlparser-rs reads relations, functions and WHERE on the unwrapped
 * text. A statement the parser cannot read keeps the pre-pass's facts and the `unparsable` flag:
 * never a silent pass.
 */
import type { FunctionRef, QualifiedName } from '@postern/policy';
import { astFacts, type Json } from './ast.js';
import type { MysqlAnalysis, MysqlFlag, NestedVia, StatementFacts } from './facts.js';
import { lex, type LexOptions } from './lexer.js';
import { statementKinds } from './statement-kinds.js';
import { parseStatement } from './parser.js';
import { parserText, programBody, PROGRAM_VIA, sliceOf, tokenOnly } from './pieces.js';
import { readTokenFacts } from './prepass.js';
import { tokenCalls, tokenRelations, tokenSchemasAndShows } from './token-names.js';
import { splitStatements, type RawStatement } from './split.js';

export interface AnalysisLimits {
  /** Longer texts are not analysed (uncheckable). Default 4 Mi characters (mysqldump's extended inserts are ~1 MiB). */
  readonly maxLength: number;
  /** Statements in one text. Default 1000. */
  readonly maxStatements: number;
  /** Nested statements (PREPARE text, program bodies…) in one text, at any depth. Default 512. */
  readonly maxNested: number;
  /** Nesting depth (PREPARE of EXECUTE IMMEDIATE of …). Default 4. */
  readonly maxDepth: number;
}

export const DEFAULT_ANALYSIS_LIMITS: AnalysisLimits = {
  maxLength: 4 * 1024 * 1024,
  maxStatements: 1000,
  maxNested: 512,
  maxDepth: 4,
};

class Uncheckable extends Error {
  constructor(
    message: string,
    readonly position: number | null,
  ) {
    super(message);
  }
}

/** Statements whose facts another literal could change (a constant WHERE was judged). */
const LITERAL_DEPENDENT = new WeakSet<StatementFacts>();

/** Whether another literal in the same place could change these facts (see shape.ts). */
export function dependsOnLiterals(statement: StatementFacts): boolean {
  return LITERAL_DEPENDENT.has(statement);
}

class Analysis {
  private nestedCount = 0;

  constructor(
    private readonly options: LexOptions,
    private readonly limits: AnalysisLimits,
  ) {}

  /** Every statement of `text`; throws Uncheckable when it cannot be lexed or is over a limit. */
  text(text: string, via: NestedVia | null, depth: number): StatementFacts[] {
    const lexed = lex(text, this.options);
    if (!lexed.ok) throw new Uncheckable(lexed.message, depth === 0 ? lexed.position : null);
    const raws = splitStatements(lexed.tokens);
    if (raws.length > this.limits.maxStatements) {
      throw new Uncheckable(`more than ${this.limits.maxStatements} statements in one text`, null);
    }
    const multi = raws.length > 1;
    return raws.map((raw) => this.statement(raw, lexed.code, via, depth, multi));
  }

  private nested(): void {
    this.nestedCount += 1;
    if (this.nestedCount > this.limits.maxNested) {
      throw new Uncheckable(`more than ${this.limits.maxNested} nested statements`, null);
    }
  }

  private statement(
    raw: RawStatement,
    code: string,
    via: NestedVia | null,
    depth: number,
    multi: boolean,
  ): StatementFacts {
    if (via !== null) this.nested();
    const { tokens } = raw;
    const kinds = statementKinds(tokens);
    const pre = readTokenFacts(tokens, kinds);
    const flags = pre.flags as Set<MysqlFlag>;
    if (multi) flags.add('multiStatement');
    const statementCode = code.slice(raw.start, raw.end);
    const nested: StatementFacts[] = [];
    let unresolvedDynamicSql = false;
    if (pre.dynamicSql) {
      if (pre.dynamicSql.text === null) unresolvedDynamicSql = true;
      else
        nested.push(
          ...this.dynamic(pre.dynamicSql.text, kinds[0] === 'PREPARE' ? 'PREPARE' : 'EXECUTE IMMEDIATE', depth),
        );
    }
    if (pre.innerStatement > 0 && pre.innerStatement < tokens.length) {
      const inner = tokens.slice(pre.innerStatement);
      const innerVia: NestedVia = kinds[0] === 'SET STATEMENT' ? 'SET STATEMENT' : 'ANALYZE';
      nested.push(this.statement(sliceOf(inner), code, innerVia, depth + 1, false));
    }
    const programVia = PROGRAM_VIA[kinds[0] ?? ''];
    let relations: QualifiedName[];
    let functions: FunctionRef[];
    let schemas = [...pre.schemas];
    let missingWhere = false;
    let parserMessage: string | null = null;
    let literalDependent = false;
    if (programVia || tokenOnly(kinds, tokens)) {
      if (programVia) {
        for (const piece of programBody(tokens)) nested.push(this.statement(piece, code, programVia, depth + 1, false));
      }
      const named = tokenSchemasAndShows(tokens);
      relations = named.relations ?? tokenRelations(tokens);
      schemas.push(...named.schemas);
      functions = tokenCalls(tokens, false);
    } else {
      // DO evaluates expressions like a SELECT that returns nothing: read it as one.
      const parsed = parseStatement(parserText(raw, statementCode, kinds));
      if (parsed.ok) {
        const facts = astFacts(parsed.ast as Json);
        relations = facts.relations;
        functions = [...facts.functions, ...tokenCalls(tokens, true)];
        schemas.push(...facts.schemas);
        missingWhere = facts.missingWhere;
        literalDependent = facts.literalDependent;
      } else {
        flags.add('unparsable');
        parserMessage = parsed.message;
        relations = tokenRelations(tokens);
        schemas.push(...tokenSchemasAndShows(tokens).schemas);
        functions = tokenCalls(tokens, false);
        // Without a tree the filter cannot be judged: only its presence is known.
        missingWhere = (kinds[0] === 'UPDATE' || kinds[0] === 'DELETE') && !pre.hasWhere;
      }
    }
    for (const inner of nested) {
      relations.push(...inner.relations);
      functions.push(...inner.functions);
      schemas.push(...inner.schemas);
    }
    schemas.push(...relations.flatMap((relation) => (relation.schema === null ? [] : [relation.schema])));
    schemas = [...new Set(schemas.filter((schema) => schema !== '' && schema !== '*'))];
    const facts: StatementFacts = {
      kinds,
      relations: uniqueNames(relations),
      schemas,
      functions: uniqueNames(functions),
      missingWhere,
      copyProgram: false,
      unresolvedDynamicSql,
      via,
      flags: [...flags],
      nested,
      start: raw.start,
      end: raw.end,
      code: statementCode,
      parserMessage,
      limited: pre.hasLimit && (kinds.includes('UPDATE') || kinds.includes('DELETE')),
      variables: pre.variables,
      prepareName: pre.prepareName,
      executeName: pre.executeName,
    };
    if (literalDependent) LITERAL_DEPENDENT.add(facts);
    return facts;
  }

  /** SQL text run by PREPARE/EXECUTE IMMEDIATE: analysed like any text, one level down. */
  private dynamic(text: string, via: NestedVia, depth: number): StatementFacts[] {
    if (depth + 1 > this.limits.maxDepth) throw new Uncheckable('dynamic SQL nested too deeply', null);
    return this.text(text, via, depth + 1);
  }
}

function uniqueNames<T extends QualifiedName>(names: readonly T[]): T[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = `${name.schema ?? ''}\u0000${name.name}\u0000${'builtin' in name ? String(name.builtin) : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function depthFirst(statements: readonly StatementFacts[], into: StatementFacts[] = []): StatementFacts[] {
  for (const statement of statements) {
    into.push(statement);
    depthFirst(statement.nested, into);
  }
  return into;
}

const ESCAPED_QUOTE = /\\['"]/;

/**
 * A text with a backslash before a quote reads differently when the session's sql_mode has
 * NO_BACKSLASH_ESCAPES (or ANSI_QUOTES, for "…"): `'a\' ; DROP TABLE t; -- '` is one string in
 * one mode and a DROP in the other. The gateway may not know the session's mode, so such a text
 * is also read the other way, and rules see both readings: its statements carry the
 * `otherQuoting` flag (and never make the text unparsable: most texts are garbage that way).
 */
function otherQuoting(text: string, options: LexOptions, limits: AnalysisLimits): StatementFacts[] {
  if (options.noBackslashEscapes || !ESCAPED_QUOTE.test(text)) return [];
  try {
    const other = new Analysis({ ...options, noBackslashEscapes: true }, limits).text(text, null, 0);
    return depthFirst(other).map((statement) => ({
      ...statement,
      flags: [...statement.flags.filter((flag) => flag !== 'unparsable'), 'otherQuoting'],
    }));
  } catch {
    return []; // does not even lex that way: the server would refuse it in that mode
  }
}

/** Facts about a MySQL/MariaDB text (uncached). Never throws. */
export function analyzeMysqlText(
  text: string,
  options: LexOptions = {},
  limits: AnalysisLimits = DEFAULT_ANALYSIS_LIMITS,
): MysqlAnalysis {
  if (typeof text !== 'string') return { ok: false, message: 'not a string', position: null, uncheckable: true };
  if (text.length > limits.maxLength) {
    return { ok: false, message: `longer than ${limits.maxLength} characters`, position: null, uncheckable: true };
  }
  try {
    const statements = new Analysis(options, limits).text(text, null, 0);
    return { ok: true, statements, all: [...depthFirst(statements), ...otherQuoting(text, options, limits)] };
  } catch (error) {
    if (error instanceof Uncheckable) {
      return { ok: false, message: error.message, position: error.position, uncheckable: true };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `analysis failed: ${message}`, position: null, uncheckable: true };
  }
}
