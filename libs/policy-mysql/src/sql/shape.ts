/*
 * Literal shapes: statements that differ only in their literals (`… WHERE id = 17`, `… = 42`,
 * what mysql2's client-side placeholders send) share one analysis, so a stream of distinct
 * literals costs a lexing instead of a parse. Only texts whose reading cannot depend on a literal
 * get a shape: one SELECT/INSERT/REPLACE/UPDATE/DELETE, no executable comment (its code would
 * share a shape with plain text but not the `executableComment` flag), no backslash before a
 * quote (read another way under NO_BACKSLASH_ESCAPES). Only analyses that hold for every literal
 * are shared (see `shapeable`): no flag, nothing nested, no dynamic SQL, and no WHERE judged on a
 * part without columns (`WHERE 1 = 1` and `WHERE 1 = 2` have one shape and two verdicts).
 */
import { dependsOnLiterals } from './analyze.js';
import type { MysqlAnalysis, StatementFacts } from './facts.js';
import { lex, type LexOptions } from './lexer.js';

const MAX_SHAPE_LENGTH = 8 * 1024;
const ESCAPED_QUOTE = /\\['"]/;
const SHAPED = new Set(['SELECT', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE']);

export interface Shape {
  readonly key: string;
  /** Where the statement is in this text, and its unwrapped code (facts carry them). */
  readonly start: number;
  readonly end: number;
  readonly code: string;
}

/** The literal shape of `sql`, or null when it must be analysed on its own. */
export function literalShape(sql: string, options: LexOptions): Shape | null {
  if (sql.length > MAX_SHAPE_LENGTH || ESCAPED_QUOTE.test(sql)) return null;
  const lexed = lex(sql, options);
  if (!lexed.ok || lexed.executableComments.length > 0) return null;
  const { tokens } = lexed;
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (!first || !last || !SHAPED.has(first.upper)) return null;
  const parts: string[] = [];
  for (const token of tokens) {
    if (token.type === 'punct' && token.text === ';') return null;
    if (token.type === 'number') parts.push('?n');
    else if (token.type === 'string') parts.push('?s');
    else if (token.type === 'identifier') parts.push(JSON.stringify(token.value));
    else parts.push(token.type === 'word' ? token.upper : token.text);
  }
  return { key: parts.join(' '), start: first.start, end: last.end, code: lexed.code.slice(first.start, last.end) };
}

/** Whether an analysis holds for every text of its shape. */
export function shapeable(analysis: MysqlAnalysis): boolean {
  if (!analysis.ok || analysis.statements.length !== 1 || analysis.all.length !== 1) return false;
  const statement = analysis.statements[0] as StatementFacts;
  return (
    statement.flags.length === 0 &&
    statement.nested.length === 0 &&
    !statement.unresolvedDynamicSql &&
    !dependsOnLiterals(statement)
  );
}

/** A shared analysis with this text's own offsets and code. */
export function forText(analysis: MysqlAnalysis, shape: Shape): MysqlAnalysis {
  if (!analysis.ok) return analysis;
  const statement = {
    ...(analysis.statements[0] as StatementFacts),
    start: shape.start,
    end: shape.end,
    code: shape.code,
  };
  return { ok: true, statements: [statement], all: [statement] };
}
