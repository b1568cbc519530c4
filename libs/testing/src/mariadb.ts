import { execFile } from 'node:child_process';

/** The machine's MariaDB (root, no password), the target of the MySQL tests. */
export const MARIADB = { host: '127.0.0.1', port: 3306 };

export interface MariadbRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real `mariadb` CLI over TCP to 127.0.0.1, in batch mode, SQL on stdin. The password goes in
 * MYSQL_PWD, never in argv (where `ps` would show it).
 */
export function runMariadbCli(args: string[], sql: string, password?: string): Promise<MariadbRun> {
  return new Promise((resolve) => {
    const child = execFile(
      'mariadb',
      ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '--batch', ...args],
      {
        env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', ...(password === undefined ? {} : { MYSQL_PWD: password }) },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    // A client refused at login exits without reading its input: EPIPE here is that refusal,
    // which the exit code and stderr report; it must not fail the run by itself.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(sql);
  });
}

/**
 * Raises the machine's MariaDB `max_allowed_packet` (GLOBAL: connections opened afterwards) to at
 * least `bytes`, for tests that move values over 16 MiB. It never lowers it, and nothing restores
 * it: suites run concurrently, and one putting back "its" earlier value under another's feet was
 * how a 20 MiB test failed depending on the order suites ran in.
 */
export async function raiseMaxAllowedPacket(bytes = 64 * 1024 * 1024): Promise<void> {
  const run = await runMariadbCli(
    ['-P', String(MARIADB.port), '-u', 'root'],
    `SET GLOBAL max_allowed_packet = GREATEST(@@global.max_allowed_packet, ${String(Math.trunc(bytes))});`,
  );
  if (run.code !== 0) throw new Error(`cannot raise max_allowed_packet: ${run.stderr}`);
}
