#!/usr/bin/env node
// The `postern` command: reach Postern connections, ask for access, approve, replay.
import { run } from './cli.js';
import { CliError, EXIT } from './errors.js';
import { processOutput } from './output.js';

async function main(): Promise<void> {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  try {
    process.exitCode = await run(
      process.argv.slice(2),
      process.env,
      processOutput,
      abort.signal,
      process.stdout.isTTY === true,
    );
  } catch (error) {
    if (error instanceof CliError) {
      processOutput.err(`postern: ${error.message}`);
      process.exitCode = error.exitCode;
      return;
    }
    processOutput.err(`postern: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.failed;
  }
  // Live feeds and proxies hold the event loop; once the command is done, nothing else should.
  if (abort.signal.aborted) process.exit(process.exitCode ?? 0);
}

await main();
