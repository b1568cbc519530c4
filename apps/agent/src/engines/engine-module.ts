import type { Logger } from '@postern/logging';
import type { AgentConfig } from '../config.js';
import type { BufferBudget } from '../sessions/buffer-budget.js';
import type { ProtocolEngine } from './engine.js';

/** What the agent hands every engine it creates. */
export interface EngineDeps {
  config: AgentConfig;
  logger: Logger;
  /** Memory for messages being assembled, shared by every session of every engine. */
  buffers: BufferBudget;
}

/**
 * One protocol as the agent registers it (engines/registry.ts): the engine's protocol name
 * (Connection.protocol, and `POSTERN_AGENT_<PROTOCOL>_LISTEN` for its local listener), what it
 * loads once before its first session, and how it is made.
 */
export interface EngineModule {
  readonly protocol: string;
  /** Loads what the engine needs before any session (a parser's WebAssembly, say). */
  init?(): Promise<void>;
  create(deps: EngineDeps): ProtocolEngine;
}
