// The agent's per-transaction JavaScript, without the kernel: one PostgreSQL session through the
// built agent's proxy and policy filter, with in-memory client and target streams answering at
// once, and the session recorded to a real spool (gzip and file writes run as in production).
// It measures what a change to the proxy, the filter, the codec or the recorder costs per
// transaction, which pgbench on this noisy 2-vCPU machine cannot resolve (its runs drift ±20 %).
//
//   node bench/proxy-hotpath.mjs [--tx=200000] [--rounds=5] [--policy=1]   (after `pnpm build`)
//
// --policy=1 applies the benchmark's `bench_policy` rules (bench/postgres.mjs): three guardrails
// (every statement parsed, through the literal-shape cache), `abalance` masked in every result
// row, the email and card detectors over every recorded statement.
//
// Prints CPU µs per transaction for each round and the median. Not a throughput figure: the
// streams here are not sockets (no syscalls), so only differences between builds mean anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { setImmediate } from 'node:timers';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const wire = await import(join(ROOT, 'libs/wire-postgres/dist/index.js'));
const { proxySession } = await import(join(ROOT, 'apps/agent/dist/engines/postgres/proxy.js'));
const { PolicyFilter } = await import(join(ROOT, 'apps/agent/dist/engines/postgres/policy-filter.js'));
const { PostgresSessionState } = await import(join(ROOT, 'apps/agent/dist/engines/postgres/session-state.js'));
const { SessionRecorder } = await import(join(ROOT, 'apps/agent/dist/recording/session-recorder.js'));
const { RecordingSpool } = await import(join(ROOT, 'apps/agent/dist/recording/spool.js'));
const { createLogger } = await import(join(ROOT, 'libs/logging/dist/index.js'));
const { CatalogCache } = await import(join(ROOT, 'apps/agent/dist/engines/postgres/catalog.js'));
const policyLib = {
  ...(await import(join(ROOT, 'libs/policy/dist/index.js'))),
  ...(await import(join(ROOT, 'libs/policy-postgres/dist/index.js'))),
};

const flag = (name, fallback) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.split('=')[1]) : fallback;
};
const TX = flag('tx', 200_000);
const ROUNDS = flag('rounds', 5);
const POLICY = flag('policy', 0) === 1;
const ACCOUNTS_OID = 16397;
if (POLICY) await policyLib.initSqlParser();

/** The session policy: none, or bench_policy's rules for connection `c`. */
function sessionPolicy() {
  if (!POLICY) return { version: '1', statements: { empty: true }, masker: null };
  const scope = { connectionIds: ['c'], groups: [] };
  const guardrails = [
    { statementKinds: ['DROP', 'TRUNCATE', 'ALTER'] },
    { missingWhere: true },
    { functions: ['pg_read_file', 'lo_export'] },
  ].map((match, i) => ({ id: `g${i}`, name: `g${i}`, ...scope, match: policyLib.parseStatementMatch(match) }));
  const masking = [
    {
      columns: ['pgbench_accounts.abalance', 'public.pgbench_tellers.tbalance', 'pgbench_*.bbalance'],
      style: 'redact',
    },
    { columns: ['c1', 'c2', 'c3'], style: 'redact' },
    { detectors: ['email', 'payment_card'], style: 'redact' },
  ].map((spec, i) => ({
    id: `m${i}`,
    name: `m${i}`,
    connectionIds: ['c'],
    exemptGroups: [],
    spec: policyLib.parseMaskingSpec(spec),
  }));
  return {
    version: '1',
    statements: policyLib.compileStatementPolicy(guardrails, []).forSession('c', []),
    masker: policyLib.compileMaskingPolicy(masking, { hashKey: Buffer.alloc(32, 7) }).forSession('c', []),
  };
}

const { backend, frontend } = wire;
// What pgbench -S sends and gets back.
const response = Buffer.concat([
  backend.rowDescription([
    {
      name: 'abalance',
      tableOid: ACCOUNTS_OID,
      columnAttribute: 3,
      typeOid: 23,
      typeSize: 4,
      typeModifier: -1,
      format: 0,
    },
  ]),
  backend.dataRow(['-4213']),
  backend.commandComplete('SELECT 1'),
  backend.readyForQuery('I'),
]);
const queries = Array.from({ length: 1000 }, (_, i) =>
  frontend.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 1_000_000};`),
);

/** A stream end whose writes are handed to `onWrite`; `deliver` makes bytes readable from it. */
class End extends Duplex {
  constructor(onWrite) {
    super();
    this.onWrite = onWrite;
  }
  _read() {}
  _write(chunk, _encoding, callback) {
    this.onWrite(chunk);
    callback();
  }
}

async function session(dir, transactions) {
  const logger = createLogger({ name: 'hotpath', level: 'silent' });
  const spool = new RecordingSpool(dir, 1024 * 1024 * 1024);
  await spool.init();
  const recorder = new SessionRecorder(
    spool,
    '8f14e45f-ceea-467f-a0e6-0a1b2c3d4e5f',
    'best-effort',
    { chunkBytes: 256 * 1024, flushMs: 1000, compression: 'gzip' },
    logger,
    () => {},
  );
  // Acknowledge chunks as they land, as the control plane would, so the spool does not grow.
  spool.on('chunk', (sessionId, seq) => void spool.acknowledge(sessionId, seq));
  const policy = sessionPolicy();
  // The catalog as the agent would have loaded it from the target (cached per connection).
  const catalog = new CatalogCache(3_600_000);
  await catalog.load('c', [ACCOUNTS_OID], async () => [
    ['16397', 'public', 'pgbench_accounts', '1', 'aid', '23'],
    ['16397', 'public', 'pgbench_accounts', '2', 'bid', '23'],
    ['16397', 'public', 'pgbench_accounts', '3', 'abalance', '23'],
    ['16397', 'public', 'pgbench_accounts', '4', 'filler', '1042'],
  ]);
  const context = { policy: () => policy, record: (type, event) => recorder.record(type, event), audit() {} };
  const filter = new PolicyFilter({ context, connectionId: 'c', catalog, catalogQuery: null, logger });
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const client = new End((chunk) => {
    // What a client would notice: with the policy on, the balance never reaches it.
    if (POLICY && done < 1000 && chunk.includes('-4213')) throw new Error('an unmasked balance reached the client');
    if (!POLICY && done === 0 && !chunk.includes('-4213')) throw new Error('the balance did not reach the client');
    // A transaction is answered once its ReadyForQuery went out (a masked result is written in
    // several pieces).
    if (chunk.length < 6 || chunk[chunk.length - 6] !== 0x5a) return;
    done += 1;
    if (done === transactions) return finish();
    setImmediate(() => client.push(queries[done % queries.length]));
  });
  const target = new End(() => setImmediate(() => target.push(response)));
  const abort = new globalThis.AbortController();
  const proxied = proxySession({
    client,
    target,
    clientParser: new wire.FrontendParser({ phase: 'message' }),
    targetParser: new wire.BackendParser(),
    pendingFromClient: [],
    pendingFromTarget: [],
    state: new PostgresSessionState(),
    signal: abort.signal,
    abortEnd: () => new Error('aborted'),
    filter,
  });
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  client.push(queries[0]);
  await finished;
  const used = process.cpuUsage(cpu);
  const wallUs = Number(process.hrtime.bigint() - started) / 1000;
  abort.abort();
  await proxied;
  await recorder.close({ endReason: 'client_closed' });
  return { cpuUsPerTx: (used.user + used.system) / transactions, wallUsPerTx: wallUs / transactions };
}

const dir = mkdtempSync(join(tmpdir(), 'postern-hotpath-'));
try {
  await session(dir, 20_000); // warm-up: JIT and heap
  const results = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const r = await session(dir, TX);
    results.push(r);
    console.log(`round ${round}: ${r.cpuUsPerTx.toFixed(2)} µs CPU/tx, ${r.wallUsPerTx.toFixed(2)} µs wall/tx`);
  }
  const cpu = results.map((r) => r.cpuUsPerTx).sort((a, b) => a - b);
  console.log(
    `median: ${cpu[Math.floor(cpu.length / 2)].toFixed(2)} µs CPU/tx over ${ROUNDS} rounds of ${TX} transactions`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
