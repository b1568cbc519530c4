/*
 * Masking of PostgreSQL result values in flight (DataRow in text and binary formats, COPY … TO
 * STDOUT in text, CSV and binary) with libs/policy's rules, detectors and styles. The agreed
 * interface is in ./contract.ts; behaviour in detail in libs/policy-postgres/README.md.
 */
export * from './contract.js';
export { compileMaskingPolicy } from './policy.js';
