/*
 * The short sentence a client sees when a statement is blocked or held, naming what matched:
 * "DROP TABLE on public.orders", "DELETE without a row filter on orders inside a DO block",
 * "SELECT calling pg_read_file()".
 */
import type { NestedVia } from './facts.js';
import type { MatchEvidence } from './match.js';
import { displayName, quoteIdentifierIfNeeded } from './names.js';
import type { StatementMatch } from './index.js';

const VIA_TEXT: Readonly<Record<NestedVia, string>> = {
  WITH: 'a WITH clause',
  DO: 'a DO block',
  EXECUTE: 'dynamic SQL (EXECUTE)',
  PREPARE: 'PREPARE',
  'EXPLAIN ANALYZE': 'EXPLAIN ANALYZE',
  'DECLARE CURSOR': 'DECLARE CURSOR',
  COPY: 'COPY',
  'CREATE TABLE AS': 'CREATE TABLE AS',
  'CREATE MATERIALIZED VIEW': 'CREATE MATERIALIZED VIEW',
  'CREATE VIEW': 'the query of CREATE VIEW',
  'CREATE FUNCTION': 'the body of CREATE FUNCTION',
  'CREATE PROCEDURE': 'the body of CREATE PROCEDURE',
  'CREATE RULE': 'the actions of CREATE RULE',
  'function argument': 'SQL passed to a function',
};

export function describeMatch(match: StatementMatch, evidence: MatchEvidence): string {
  const { statement } = evidence;
  const kind = statement.kinds[0] ?? 'statement';
  const pieces = [statement.copyProgram ? `${kind} PROGRAM` : kind];
  if (match.missingWhere === true) pieces.push('without a row filter');
  if (match.unresolvedDynamicSql === true) pieces.push('with dynamic SQL that cannot be checked');
  if (evidence.function) {
    const notation = evidence.function.attributeNotation ? ' (attribute notation)' : '';
    const origin = match.userFunctions === true && !evidence.function.builtin ? ' (not a built-in)' : '';
    pieces.push(`calling ${displayName(evidence.function)}()${notation}${origin}`);
  }
  const target = targetOf(evidence);
  if (target) pieces.push(`on ${target}`);
  if (statement.via) pieces.push(`inside ${VIA_TEXT[statement.via]}`);
  return pieces.join(' ');
}

function targetOf(evidence: MatchEvidence): string | null {
  if (evidence.relation) return displayName(evidence.relation);
  if (evidence.schema !== null) return `schema ${quoteIdentifierIfNeeded(evidence.schema)}`;
  const [relation] = evidence.statement.relations;
  if (relation && !evidence.function) return displayName(relation);
  const [schema] = evidence.statement.schemas;
  return schema !== undefined && !evidence.function ? `schema ${quoteIdentifierIfNeeded(schema)}` : null;
}
