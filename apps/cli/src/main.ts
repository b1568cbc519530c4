#!/usr/bin/env node
// The `postern` command: sign in to Postern from a terminal and use the token.
import { run } from './cli.js';
import { CliError } from './errors.js';
import { processOutput } from './output.js';

async function main(): Promise<void> {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  try {
    process.exitCode = await run(process.argv.slice(2), process.env, processOutput, abort.signal);
  } catch (error) {
    if (error instanceof CliError) {
      processOutput.err(`postern: ${error.message}`);
      process.exitCode = error.exitCode;
      return;
    }
    processOutput.err(`postern: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

await main();
