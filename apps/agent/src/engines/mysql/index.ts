export { MysqlEngine, type MysqlEngineOptions } from './mysql-engine.js';
export { mysqlModule } from './module.js';
export { compileMysqlPolicy, compileMysqlRules, type MysqlContext, type MysqlSessionRules } from './rules.js';
