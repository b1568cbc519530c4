export * from './load.js';
export * from './types.js';
export * from './policy-delta.js';
export * from './audit-kinds.js';
export * from './recording-events.js';
