import type { EngineModule } from '../engine-module.js';
import { AssertionSigner } from './assertion.js';
import { HttpEngine } from './http-engine.js';

/** HTTP: settings from the agent's configuration (`POSTERN_AGENT_HTTP_*`, docs/operations.md). */
export const httpModule: EngineModule = {
  protocol: 'http',
  create: ({ config, logger }) =>
    new HttpEngine({
      logger,
      domain: config.http.domain,
      recordBodyBytes: config.http.recordBodyBytes,
      maxUpgradeBytes: config.http.maxUpgradeBytes,
      assertion: config.http.assertion ? new AssertionSigner(config.http.assertion) : null,
    }),
};
