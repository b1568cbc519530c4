/*
 * @postern/policy-postgres: PostgreSQL's side of the policy — SQL analysis with PostgreSQL's own
 * parser (libpg-query) as a command analyser of libs/policy's rule model, masking lineage, and
 * the maskers of PostgreSQL result values (DataRow, COPY).
 */
export * from './sql/index.js';
export * from './masking/index.js';
export * from './lineage/index.js';
