/*
 * @postern/policy-mysql: MySQL/MariaDB's side of the policy — SQL analysis (a fail-closed token
 * pre-pass plus sqlparser-rs) as a command analyser of libs/policy's rule model, and the lineage
 * of result columns for masking.
 */
export * from './sql/index.js';
export * from './lineage/index.js';
