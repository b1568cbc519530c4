export { PostgresEngine, type PostgresEngineOptions } from './postgres-engine.js';
export { PostgresSessionState } from './session-state.js';
