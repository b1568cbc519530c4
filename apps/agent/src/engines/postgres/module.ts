import { initSqlParser } from '@postern/policy-postgres';
import type { EngineModule } from '../engine-module.js';
import { PostgresEngine } from './postgres-engine.js';

/** PostgreSQL: libpg-query (WebAssembly) is loaded before any session can need it. */
export const postgresModule: EngineModule = {
  protocol: 'postgres',
  init: () => initSqlParser(),
  create: ({ config, logger, buffers }) =>
    new PostgresEngine({ logger, buffers, maxClientMessageLength: config.postgresMaxMessageBytes }),
};
