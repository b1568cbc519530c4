import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

let parser: Parser | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads tree-sitter's bash grammar (WebAssembly, shipped in the tree-sitter-bash package: no
 * download) once per process. The analyser refuses every command until it is loaded.
 */
export function initShellParser(): Promise<void> {
  loading ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const bash = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const instance = new Parser();
    instance.setLanguage(bash);
    parser = instance;
  })();
  return loading;
}

/** The loaded parser, or null before initShellParser() has finished. */
export function shellParser(): Parser | null {
  return parser;
}
