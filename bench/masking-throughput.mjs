// maskDataRow throughput: a measurement, not a test (it belongs with bench/). Build first
// (`pnpm -r build`), then `node bench/masking-throughput.mjs [rows]`.
//
// The baseline is the agent's per-row work without masking: the server's bytes arrive in 64 KiB
// chunks, @postern/wire-postgres' BackendParser cuts them into frames, each frame is queued for
// the client. "masked" adds maskDataRow on every DataRow. Runs are interleaved and repeated; the
// median is reported. Socket I/O is left out, so the ratios are pessimistic: the agent spends
// about 0.78 µs of CPU per streamed row in total (docs/benchmarks.md).
import { BackendParser } from '../libs/wire-postgres/dist/index.js';
import { parseMaskingSpec } from '../libs/policy/dist/index.js';
import { compileMaskingPolicy } from '../libs/policy-postgres/dist/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const repeats = 5;
const hashKey = Buffer.alloc(32, 1);
const table = { schema: 'public', name: 'customers' };
const columns = [
  { name: 'id', table, typeOid: 23, format: 0 },
  { name: 'name', table, typeOid: 25, format: 0 },
  { name: 'email', table, typeOid: 1043, format: 0 },
  { name: 'card', table, typeOid: 25, format: 0 },
  { name: 'note', table, typeOid: 25, format: 0 },
  { name: 'phone', table, typeOid: 25, format: 0 },
];

function dataRow(values) {
  const parts = values.map((v) => Buffer.from(v));
  const size = 7 + parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = Buffer.alloc(size);
  out[0] = 0x44;
  out.writeInt32BE(size - 1, 1);
  out.writeInt16BE(values.length, 5);
  let at = 7;
  for (const p of parts) {
    out.writeInt32BE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

// The server's stream: `rows` DataRows, cut into 64 KiB chunks regardless of frame boundaries.
function streamOf(row) {
  const frames = Array.from({ length: 1024 }, (_, i) => dataRow(row(i)));
  const stream = Buffer.concat(Array.from({ length: rows }, (_, i) => frames[i & 1023]));
  const chunks = [];
  for (let at = 0; at < stream.length; at += 65536) chunks.push(stream.subarray(at, at + 65536));
  return { chunks, bytes: stream.length };
}
// Three sensitive values per row (email, card, phone).
const sensitive = streamOf((i) => [
  String(i),
  `Customer ${i}`,
  `customer${i}@example.com`,
  '4111 1111 1111 1111',
  `order ${i} shipped on 2024-01-${(i % 28) + 1}`,
  `+44 20 7946 ${String(1000 + i).slice(-4)}`,
]);
// Nothing a detector would look at twice: what most rows of most tables look like.
const ordinary = streamOf((i) => [
  String(i),
  `Customer ${i}`,
  i % 2 === 0 ? 'active' : 'suspended',
  `Rue de la Paix ${i % 100}, Paris`,
  `order ${i} shipped`,
  `EUR ${i % 500}.${i % 100}`,
]);

function planFor(spec) {
  if (spec === null) return null;
  const rule = { id: 'r', name: 'r', connectionIds: [], exemptGroups: [], spec: parseMaskingSpec(spec) };
  return compileMaskingPolicy([rule], { hashKey }).forSession('c', []).planRows(columns);
}

function proxy(plan, chunks) {
  const parser = new BackendParser();
  let queued = [];
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (const chunk of chunks) {
    parser.parse(chunk, (frame) => queued.push(plan === null ? frame.bytes : plan.maskDataRow(frame.bytes)));
    for (const b of queued) bytes += b.length; // stands for socket.write
    queued = [];
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes };
}

const allDetectors = ['email', 'payment_card', 'iban', 'phone', 'national_id', 'secret'];
const cases = [
  ['unmasked (baseline)', null, sensitive],
  ['3 column rules, redact', { columns: ['email', 'card', 'phone'], style: 'redact' }, sensitive],
  ['3 column rules, partial', { columns: ['email', 'card', 'phone'], style: 'partial' }, sensitive],
  ['3 column rules, hash', { columns: ['email', 'card', 'phone'], style: 'hash' }, sensitive],
  ['all 6 detectors, ordinary rows (no hit)', { detectors: allDetectors, style: 'redact' }, ordinary],
  ['all 6 detectors, 3 hits per row', { detectors: allDetectors, style: 'redact' }, sensitive],
  ['email detector only, 1 hit per row', { detectors: ['email'], style: 'redact' }, sensitive],
].map(([label, spec, stream]) => ({ label, plan: planFor(spec), stream, times: [] }));

for (let r = 0; r < repeats + 1; r++) {
  for (const c of cases) {
    const { seconds } = proxy(c.plan, c.stream.chunks);
    if (r > 0) c.times.push(seconds); // the first round warms up
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(cases[0].times);
console.log(`${rows} rows of 6 text-format columns (${sensitive.bytes} bytes), median of ${repeats}\n`);
console.log('| case | rows/s | ns/row | ns/row added | × baseline |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const c of cases) {
  const t = median(c.times);
  console.log(
    `| ${c.label} | ${(rows / t / 1e6).toFixed(2)} M | ${((t * 1e9) / rows).toFixed(0)} | ${(((t - base) * 1e9) / rows).toFixed(0)} | ${(t / base).toFixed(2)} |`,
  );
}
