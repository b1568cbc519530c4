// What one short session's recording costs the agent on disk: a final chunk written to the built
// agent's spool (temporary file, writev, fsync, close, rename) and removed once acknowledged
// (unlink), as every session's last chunk is. CPU per chunk of the whole process (the fs calls
// run in libuv's thread pool, counted too), one at a time and 8 at a time.
//
//   node bench/spool-chunk.mjs [--chunks=400]   (after `pnpm build`)
//
// A benchmark, not a test; on a loaded machine compare runs made one after the other.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { RecordingSpool } = await import(join(ROOT, 'apps/agent/dist/recording/spool.js'));
const arg = process.argv.find((a) => a.startsWith('--chunks='));
const CHUNKS = arg ? Number(arg.split('=')[1]) : 400;
// About what a short session records: session.start, one statement, session.end.
const data = Buffer.alloc(700, 0x61);

const dir = mkdtempSync(join(tmpdir(), 'postern-spool-bench-'));
try {
  const spool = new RecordingSpool(dir, 1024 * 1024 * 1024);
  await spool.init();
  for (const parallel of [1, 8]) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let done = 0; done < CHUNKS; done += parallel) {
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          const sessionId = randomUUID();
          await spool.write({ sessionId, seq: 0, data, encoding: 'jsonl', chainHash: Buffer.alloc(32), final: true });
          await spool.acknowledge(sessionId, 0);
        }),
      );
    }
    const used = process.cpuUsage(cpu);
    const us = (n) => (n / CHUNKS).toFixed(0);
    console.log(
      `${parallel} at a time: ${us(used.user + used.system)} µs CPU per chunk (user ${us(used.user)}, system ${us(
        used.system,
      )}), ${(((performance.now() - started) * 1000) / CHUNKS).toFixed(0)} µs wall`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
