export { HttpEngine, type HttpEngineOptions } from './http-engine.js';
export { httpModule } from './module.js';
export { compileHttpRules, type HttpContext, type HttpSessionRules } from './rules.js';
