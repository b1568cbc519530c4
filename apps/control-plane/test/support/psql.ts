// psql as a user would run it, with the password in PGPASSWORD (an IdP access token or a Postern
// connection credential): exit code and both streams, never a thrown error.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PsqlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runPsql(conninfo: string, password: string, args: string[]): Promise<PsqlResult> {
  try {
    const { stdout, stderr } = await run('psql', [conninfo, '-X', ...args], {
      env: { PATH: process.env['PATH'] ?? '', PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One SQL string, unaligned tuples-only output, stopping at the first error unless told not to. */
export function psqlCommand(conninfo: string, password: string, sql: string, stopOnError = true): Promise<PsqlResult> {
  return runPsql(conninfo, password, ['-At', '-v', `ON_ERROR_STOP=${stopOnError ? 1 : 0}`, '-c', sql]);
}
