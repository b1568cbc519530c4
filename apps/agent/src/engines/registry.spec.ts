import { describe, expect, jest, test } from '@jest/globals';
import type { Duplex } from 'node:stream';
import { createLogger } from '@postern/logging';
import type { AgentConfig } from '../config.js';
import { BufferBudget } from '../sessions/buffer-budget.js';
import type { EngineModule } from './engine-module.js';
import { createEngines, ENGINE_MODULES } from './registry.js';

const deps = {
  config: {} as AgentConfig,
  logger: createLogger({ name: 'test', level: 'silent' }),
  buffers: new BufferBudget({ totalBytes: 1024 * 1024, perPrincipalBytes: 1024 * 1024 }),
};

function toy(protocol: string, init?: () => Promise<void>): EngineModule {
  return {
    protocol,
    ...(init === undefined ? {} : { init }),
    create: () => ({ protocol, serve: async (client: Duplex) => void client.destroy() }),
  };
}

describe('engine registration', () => {
  test('this build registers PostgreSQL, SSH, MySQL, Kubernetes and HTTP', () => {
    expect(ENGINE_MODULES.map((m) => m.protocol)).toEqual(['postgres', 'ssh', 'mysql', 'kubernetes', 'http']);
  });

  test('every engine is initialised before it is registered', async () => {
    const init = jest.fn(async () => undefined);
    const registry = await createEngines(deps, [toy('toy', init), toy('other')]);
    expect(init).toHaveBeenCalledTimes(1);
    expect(registry.protocols).toEqual(['toy', 'other']);
  });

  test('a module whose engine names another protocol is refused', async () => {
    const liar: EngineModule = { protocol: 'a', create: () => toy('b').create(deps) };
    await expect(createEngines(deps, [liar])).rejects.toThrow(/created an engine for b/);
  });
});
