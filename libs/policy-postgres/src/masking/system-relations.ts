import type { ColumnSource } from '@postern/policy';

/** pg_catalog and information_schema relations (unqualified `pg_*` names resolve to pg_catalog first). */
export function isSystemRelation(source: ColumnSource): boolean {
  if (source.schema === null) return source.relation.startsWith('pg_');
  return source.schema === 'pg_catalog' || source.schema === 'information_schema';
}
