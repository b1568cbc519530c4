export * from './processes.js';
export * from './postgres.js';
export * from './wait.js';
export * from './ports.js';
export * from './tls.js';
export * from './graphql.js';
export * from './stack.js';
export * from './private-postgres.js';
