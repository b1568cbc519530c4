import type { EngineDeps, EngineModule } from './engine-module.js';
import { EngineRegistry } from './engine.js';
import { httpModule } from './http/module.js';
import { kubernetesModule } from './kubernetes/module.js';
import { mysqlModule } from './mysql/module.js';
import { postgresModule } from './postgres/module.js';
import { sshModule } from './ssh/module.js';

/** The protocols this agent build serves: a new engine is its folder and one line here. */
export const ENGINE_MODULES: readonly EngineModule[] = [
  postgresModule,
  sshModule,
  mysqlModule,
  kubernetesModule,
  httpModule,
];

/** Initialises every engine (each loads what it needs) and registers it. */
export async function createEngines(
  deps: EngineDeps,
  modules: readonly EngineModule[] = ENGINE_MODULES,
): Promise<EngineRegistry> {
  await Promise.all(modules.map((module) => module.init?.()));
  const registry = new EngineRegistry();
  for (const module of modules) {
    const engine = module.create(deps);
    if (engine.protocol !== module.protocol) {
      throw new Error(`engine module ${module.protocol} created an engine for ${engine.protocol}`);
    }
    registry.register(engine);
  }
  return registry;
}
