import { initSqlParser } from '@postern/policy-mysql';
import type { EngineModule } from '../engine-module.js';
import { MysqlEngine } from './mysql-engine.js';

/** MySQL/MariaDB: the SQL parser (sqlparser-rs, WebAssembly) is loaded before any session needs it. */
export const mysqlModule: EngineModule = {
  protocol: 'mysql',
  init: () => initSqlParser(),
  create: ({ logger, buffers }) => new MysqlEngine({ logger, buffers }),
};
