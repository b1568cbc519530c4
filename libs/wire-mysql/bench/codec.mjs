// Codec throughput on this machine: frame a stream of result rows in 64 KiB chunks, then scan
// and mask one cell of every row, text and binary. Timings only: nothing here is a test.
//   pnpm --filter @postern/wire-mysql build && node libs/wire-mysql/bench/codec.mjs
import {
  ColumnType,
  encodeBinaryRow,
  encodeTextRow,
  packet,
  PacketReader,
  rewriteBinaryRow,
  rewriteTextRow,
  RowCells,
  scanBinaryRow,
  scanTextRow,
} from '../dist/index.js';

const ROWS = 500_000;
const CHUNK = 64 * 1024;
const columns = [
  { type: ColumnType.LONG, flags: 0 },
  { type: ColumnType.VAR_STRING, flags: 0 },
  { type: ColumnType.VAR_STRING, flags: 0 },
];
const types = columns.map((c) => c.type);

function stream(encodeRow) {
  const packets = [];
  for (let i = 0; i < ROWS; i++) packets.push(packet(encodeRow(i), (i + 1) & 0xff));
  const all = Buffer.concat(packets);
  const chunks = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return { bytes: all.length, chunks };
}

function measure(name, { bytes, chunks }, onPayload) {
  const reader = new PacketReader();
  const started = process.hrtime.bigint();
  let rows = 0;
  for (const chunk of chunks) {
    reader.parse(chunk, (message) => {
      onPayload(message);
      rows++;
    });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${name.padEnd(34)} ${(rows / seconds / 1e6).toFixed(2)} M rows/s  ${(bytes / seconds / 1048576).toFixed(0)} MiB/s\n`,
  );
}

const text = stream((i) => encodeTextRow([String(i), `user${i}@example.com`, 'some other text value']));
const binary = stream((i) => encodeBinaryRow([i, `user${i}@example.com`, 'some other text value'], columns));
const cells = new RowCells(3);
const mask = new Map([[1, 'u***@example.com']]);

for (let round = 0; round < 2; round++) {
  measure('text: frame only', text, () => {});
  measure('text: frame + scan', text, (m) => scanTextRow(m.payload, 3, cells));
  measure('text: frame + scan + mask 1 cell', text, (m) =>
    rewriteTextRow(m.payload, scanTextRow(m.payload, 3, cells), mask, m.sequenceId),
  );
  measure('binary: frame + scan', binary, (m) => scanBinaryRow(m.payload, types, cells));
  measure('binary: frame + scan + mask 1 cell', binary, (m) =>
    rewriteBinaryRow(m.payload, scanBinaryRow(m.payload, types, cells), types, mask, m.sequenceId),
  );
}
