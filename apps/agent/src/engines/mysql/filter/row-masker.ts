import { rewriteBinaryCells, rewriteTextCells, RowCells, scanBinaryRow, scanTextRow } from '@postern/wire-mysql';
import type { MysqlSessionMasker, ResultPlan } from '../masking.js';

const SLAB_BYTES = 64 * 1024;
let slab: Buffer = Buffer.allocUnsafe(0);
let slabUsed = 0;

/**
 * Bytes for a rewritten row: consecutive slices of a 64 KiB slab shared by the process's maskers
 * (Buffer.allocUnsafe's pool aligns each slice to 8 bytes), so the masked rows of one chunk are
 * adjacent and the proxy merges them into one write instead of a vector of thousands. A slab is
 * never reused: rows still queued on a socket keep theirs alive, as Node's own pool does.
 */
function allocateRow(size: number): Buffer {
  if (size > SLAB_BYTES / 4) return Buffer.allocUnsafe(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const row = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return row;
}

/**
 * Masks the rows of one result set in flight, text or binary, with the plan made from its column
 * definitions: a masked column's value is replaced whole (the style's token in a string column;
 * NULL in a numeric or temporal one, text or binary rows alike, since a client would read the
 * token as a plausible number: mysql2 parses '********' as -66666666); detectors rewrite what
 * they find inside the other text values. Returns the row's new wire bytes, or null when it is
 * unchanged (the original bytes are forwarded).
 */
export class RowMasker {
  private cells = new RowCells(16);

  constructor(
    private readonly masker: MysqlSessionMasker,
    private readonly plan: ResultPlan,
    private readonly binary: boolean,
  ) {}

  /** The replaced cells of the row being masked, in row order (reused: a row allocates only its bytes). */
  private readonly indexes: number[] = [];
  private readonly values: (Buffer | null)[] = [];

  mask(payload: Buffer, sequenceId: number): Buffer | null {
    const { plan, masker, indexes, values } = this;
    const cells = (this.cells = this.binary
      ? scanBinaryRow(payload, plan.types, this.cells)
      : scanTextRow(payload, plan.types.length, this.cells));
    let count = 0;
    for (let i = 0; i < plan.styles.length; i++) {
      if (cells.isNull(i)) continue;
      const style = plan.styles[i];
      const start = cells.valueStart[i]!;
      const end = cells.end[i]!;
      let replacement: Buffer | null | undefined;
      if (style !== null && style !== undefined) {
        replacement = plan.textual[i] ? masker.maskValue(style, payload, start, end) : null;
        masker.counts[plan.owners[i]!]!++;
      } else if (plan.detect && plan.textual[i]) {
        const bits = masker.detection.candidates(payload, start, end);
        if (bits === 0) continue;
        const rewritten = masker.detection.rewrite(payload.toString('utf8', start, end), bits);
        if (rewritten === undefined) continue;
        replacement = Buffer.from(rewritten);
      } else {
        continue;
      }
      indexes[count] = i;
      values[count] = replacement;
      count++;
    }
    if (count === 0) return null;
    if (!this.binary) return rewriteTextCells(payload, cells, indexes, values, count, sequenceId, allocateRow);
    return rewriteBinaryCells(payload, cells, plan.types, indexes, values, count, sequenceId, allocateRow);
  }
}
