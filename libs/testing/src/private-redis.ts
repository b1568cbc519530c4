// A private Redis server for tests that stop and restart Redis under a running control plane
// (fault injection): the machine's Redis is shared by every suite running in parallel, so it is
// never stopped. Configured as a production deployment of Postern must be — append-only file,
// fsync on every write — because BullMQ's delayed jobs (approval expiries, notification retries)
// live in Redis and must survive its restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: no goodbye to its clients). */
  down(): Promise<void>;
  /** Starts it again on the same port; it reloads its append-only file. */
  up(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const up = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => accepts(port), { timeoutMs: 10_000, what: `redis-server on port ${port}` });
  };
  const down = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await up();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    down,
    up,
    stop: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
