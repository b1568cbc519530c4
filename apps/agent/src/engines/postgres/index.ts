export { PostgresEngine, type PostgresEngineOptions } from './postgres-engine.js';
export { PostgresSessionState, type PortalState } from './session-state.js';
