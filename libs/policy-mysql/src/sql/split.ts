/*
 * Statement boundaries: `;` ends a statement, except inside the body of a stored program
 * (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT/PACKAGE, ALTER EVENT … DO, MariaDB's `BEGIN NOT ATOMIC … END` and
 * top-level IF/CASE/LOOP/WHILE/REPEAT), which the client sends whole (that is what the mysql
 * client's DELIMITER command is for: it never reaches the server). A `;` inside an executable
 * comment ends a statement too: its content is code.
 */
import type { Token } from './lexer.js';

export interface RawStatement {
  readonly tokens: readonly Token[];
  /** Offsets of the first and past the last token in the text. */
  readonly start: number;
  readonly end: number;
}

const PROGRAM_NOUNS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT', 'PACKAGE']);
const COMPOUND_STARTS = new Set(['IF', 'CASE', 'LOOP', 'WHILE', 'REPEAT']);
/** Tokens after which a word starts a statement inside a program body. */
const STATEMENT_STARTERS = new Set([';', 'BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT', ':']);
const BLOCK_OPENERS = new Set(['IF', 'LOOP', 'WHILE', 'REPEAT']);

/** Whether the statement starting at `index` holds a program body whose `;` are its own. */
function startsProgram(tokens: readonly Token[], index: number): boolean {
  const first = tokens[index];
  if (first?.type !== 'word') return false;
  if (first.upper === 'BEGIN') return tokens[index + 1]?.upper === 'NOT';
  if (COMPOUND_STARTS.has(first.upper)) return true;
  // A label: `name: BEGIN …`.
  if (tokens[index + 1]?.text === ':') return true;
  if (first.upper !== 'CREATE' && first.upper !== 'ALTER') return false;
  for (let cursor = index + 1; cursor < tokens.length && cursor < index + 24; cursor += 1) {
    const token = tokens[cursor] as Token;
    if (token.type === 'word' && PROGRAM_NOUNS.has(token.upper)) return true;
    if (token.type === 'word' && ['TABLE', 'VIEW', 'INDEX', 'DATABASE', 'SCHEMA', 'USER'].includes(token.upper)) {
      return false;
    }
  }
  return false;
}

function atStatementStart(tokens: readonly Token[], index: number, first: number): boolean {
  if (index === first) return true;
  const previous = tokens[index - 1] as Token;
  return STATEMENT_STARTERS.has(previous.type === 'word' ? previous.upper : previous.text);
}

/** Splits tokens into statements; empty statements (`;;`, comments only) are dropped. */
export function splitStatements(tokens: readonly Token[]): RawStatement[] {
  const statements: RawStatement[] = [];
  let first = 0;
  let program = startsProgram(tokens, 0);
  let depth = 0;
  const close = (end: number) => {
    if (end > first) {
      const slice = tokens.slice(first, end);
      statements.push({ tokens: slice, start: (slice[0] as Token).start, end: (slice[slice.length - 1] as Token).end });
    }
    first = end + 1;
    program = startsProgram(tokens, first);
    depth = 0;
  };
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (token.text === ';' && token.type === 'punct' && depth === 0) {
      close(index);
      continue;
    }
    if (!program || token.type !== 'word') continue;
    const upper = token.upper;
    if (upper === 'END') {
      depth = Math.max(0, depth - 1);
      // END IF / END LOOP …: the construct's name is not a new block.
      const next = tokens[index + 1];
      if (next?.type === 'word' && (BLOCK_OPENERS.has(next.upper) || next.upper === 'CASE')) index += 1;
    } else if (upper === 'BEGIN' || upper === 'CASE') {
      depth += 1;
    } else if (BLOCK_OPENERS.has(upper) && atStatementStart(tokens, index, first)) {
      depth += 1;
    }
  }
  close(tokens.length);
  return statements;
}
