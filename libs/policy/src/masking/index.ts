/*
 * Masking of result values in flight (PostgreSQL DataRow in text and binary formats, COPY … TO
 * STDOUT in text, CSV and binary). The agreed interface is in ./contract.ts; behaviour in
 * detail in libs/policy/README.md, "Masking".
 */
export * from './contract.js';
export { MaskingError } from './masking-error.js';
export { parseMaskingSpec } from './spec.js';
export { compileMaskingPolicy } from './policy.js';
export { customRegexProblem, MAX_SOURCE_LENGTH as MAX_CUSTOM_REGEX_LENGTH } from './regex-safety.js';
export { MATCH_REDACTION, WHOLE_REDACTION } from './styles.js';
