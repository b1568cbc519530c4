export * from './load.js';
export * from './types.js';
