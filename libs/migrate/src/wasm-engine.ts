import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Bindings from '@prisma/schema-engine-wasm/schema_engine_bg';

/**
 * Loads Prisma's WebAssembly schema engine without `--experimental-wasm-modules`.
 *
 * The package's entry point does `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20
 * only allows behind that flag. Its wasm-bindgen glue (`schema_engine_bg.js`) is plain JS, though:
 * we import the glue, compile the .wasm ourselves with the glue as its import object, and hand the
 * instance back to the glue, which is exactly what the entry point does.
 *
 * The glue keeps the instance in module state, so one instance serves the whole process and is
 * loaded once.
 */
export type SchemaEngineBindings = typeof Bindings;

/** The module name under which the .wasm imports the glue's functions. */
const GLUE_IMPORT_MODULE = './schema_engine_bg.js';
const GLUE_SPECIFIER = '@prisma/schema-engine-wasm/schema_engine_bg';

/**
 * The WebAssembly global is not declared by TypeScript's ES libs (only lib.dom declares it, and
 * this is server code): declare the members used here.
 */
interface WebAssemblyApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
  RuntimeError: abstract new (...args: never[]) => Error;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

interface PanicRegistry {
  message: string | undefined;
  set_message(message: string): void;
}

let loading: Promise<SchemaEngineBindings> | undefined;

export function loadSchemaEngine(): Promise<SchemaEngineBindings> {
  loading ??= instantiate().catch((error: unknown) => {
    loading = undefined; // let a later call retry, e.g. after a transient read error
    throw error;
  });
  return loading;
}

/**
 * A Rust panic inside the engine surfaces as a WebAssembly RuntimeError ("unreachable"); its real
 * message is the one the engine's panic hook stored. Undefined for any other error.
 */
export function enginePanicMessage(error: unknown): string | undefined {
  if (!(error instanceof wasmApi.RuntimeError)) return undefined;
  return panicRegistry().message ?? error.message;
}

async function instantiate(): Promise<SchemaEngineBindings> {
  panicRegistry();
  const gluePath = createRequire(import.meta.url).resolve(GLUE_SPECIFIER);
  const glue: SchemaEngineBindings = await import(GLUE_SPECIFIER);
  const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
  const { instance } = await wasmApi.instantiate(bytes, { [GLUE_IMPORT_MODULE]: withUnrefTimers(glue) });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports['__wbindgen_start'] as () => void)();
  return glue;
}

/**
 * The engine arms JS timers for its internal timeouts (e.g. 10 s around Prisma Migrate's advisory
 * lock) and never clears them, which would keep a finished CLI or test process alive until they
 * fire. Whenever the engine actually waits, a database socket keeps the event loop alive anyway, so
 * its timers are made not to hold the process on their own.
 */
function withUnrefTimers(glue: SchemaEngineBindings): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, value] of Object.entries(glue)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof value !== 'function') continue;
    const setTimer = value as (callback: unknown, ms: number) => unknown;
    imports[name] = (callback: unknown, ms: number) => {
      const timer = setTimer(callback, ms) as { unref?: () => void } | undefined;
      timer?.unref?.();
      return timer;
    };
  }
  return imports;
}

/** The engine's panic hook calls `global.PRISMA_WASM_PANIC_REGISTRY.set_message()`; it must exist. */
function panicRegistry(): PanicRegistry {
  const scope = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
  scope.PRISMA_WASM_PANIC_REGISTRY ??= {
    message: undefined,
    set_message(message: string) {
      this.message = message;
    },
  };
  return scope.PRISMA_WASM_PANIC_REGISTRY;
}
