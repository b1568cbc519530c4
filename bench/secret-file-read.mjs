// What reading a `file:` secret reference afresh costs the agent per session: the built agent's
// AgentReach resolving a key laid out as a Kubernetes Secret volume presents it (`password` →
// `..data/password` → `..<timestamp>/password`): realpath, the allow-list check, readFile. CPU of
// the whole process (libuv's thread pool included) per resolution, after a warm-up.
//
//   node bench/secret-file-read.mjs [--reads=20000]   (after `pnpm build`)
//
// A benchmark, not a test; on a loaded machine compare runs made one after the other.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { AgentReach } = await import(join(ROOT, 'apps/agent/dist/reach/agent-reach.js'));
const arg = process.argv.find((a) => a.startsWith('--reads='));
const READS = arg ? Number(arg.split('=')[1]) : 20_000;

const dir = mkdtempSync(join(tmpdir(), 'postern-secret-bench-'));
mkdirSync(join(dir, '..2026_12_08_00_00_01.1'));
writeFileSync(join(dir, '..2026_12_08_00_00_01.1', 'password'), 'x'.repeat(32));
symlinkSync('..2026_12_08_00_00_01.1', join(dir, '..data'));
symlinkSync('..data/password', join(dir, 'password'));
const ref = `file:${dir}/password`;
const reach = new AgentReach(
  {
    secrets: [ref, 'env:BENCH_SECRET'],
    targets: [],
    plainPasswordTargets: [],
    never: { files: [join(dir, 'state')], env: [] },
  },
  () => undefined,
  { BENCH_SECRET: 'x'.repeat(32) },
);
const session = reach.forSession({ sessionId: 'bench', connection: () => null, principal: () => null });

/** CPU and wall time per resolution of `secret`, after a warm-up. */
async function measure(secret) {
  for (let i = 0; i < 2_000; i++) await session.resolveSecret(secret);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < READS; i++) await session.resolveSecret(secret);
  const wallUs = Number(process.hrtime.bigint() - started) / 1e3 / READS;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / READS, wallUs };
}

// Interleaved, so both see the same load.
for (const secret of [ref, 'env:BENCH_SECRET', ref, 'env:BENCH_SECRET']) {
  const { cpuUs, wallUs } = await measure(secret);
  console.log(
    `${secret.startsWith('env:') ? 'env: ' : 'file:'} ${cpuUs.toFixed(1)} µs CPU, ${wallUs.toFixed(1)} µs wall per resolution (${READS})`,
  );
}
rmSync(dir, { recursive: true, force: true });
