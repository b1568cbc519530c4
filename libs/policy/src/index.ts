export * from './errors.js';
export * from './sql/index.js';
export * from './masking/index.js';
export * from './limits/source-limits.js';
export * from './limits/login-failures.js';
export * from './lineage/index.js';
