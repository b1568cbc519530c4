/*
 * The short sentence a client sees when a statement is blocked or held, naming what matched:
 * "DROP TABLE on public.orders", "DELETE without a row filter on orders inside a DO block",
 * "SELECT calling pg_read_file()".
 */
import type { CommandDialect, StatementMatch } from './contract.js';
import type { MatchEvidence } from './match.js';

export function describeMatch(dialect: CommandDialect, match: StatementMatch, evidence: MatchEvidence): string {
  const { display } = dialect.names;
  const { statement } = evidence;
  const kind = statement.kinds[0] ?? 'statement';
  const pieces = [statement.copyProgram ? `${kind} PROGRAM` : kind];
  if (match.missingWhere === true) pieces.push('without a row filter');
  if (match.unresolvedDynamicSql === true) pieces.push('with dynamic SQL that cannot be checked');
  if (evidence.flag !== null) pieces.push(dialect.flags?.[evidence.flag] ?? evidence.flag);
  if (evidence.function) {
    const notation = evidence.function.attributeNotation ? ' (attribute notation)' : '';
    const origin = match.userFunctions === true && !evidence.function.builtin ? ' (not a built-in)' : '';
    pieces.push(`calling ${display(evidence.function)}()${notation}${origin}`);
  }
  const target = targetOf(evidence, display);
  if (target) pieces.push(`on ${target}`);
  if (statement.via) pieces.push(`inside ${dialect.describeVia(statement.via)}`);
  return pieces.join(' ');
}

function targetOf(evidence: MatchEvidence, display: CommandDialect['names']['display']): string | null {
  const schemaText = (schema: string) => `schema ${display({ schema: null, name: schema })}`;
  if (evidence.relation) return display(evidence.relation);
  if (evidence.schema !== null) return schemaText(evidence.schema);
  const [relation] = evidence.statement.relations;
  if (relation && !evidence.function) return display(relation);
  const [schema] = evidence.statement.schemas;
  return schema !== undefined && !evidence.function ? schemaText(schema) : null;
}
