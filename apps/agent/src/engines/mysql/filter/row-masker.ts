import {
  rewriteBinaryRow,
  rewriteTextRow,
  RowCells,
  scanBinaryRow,
  scanTextRow,
  type BinaryValue,
  type TextCellReplacement,
} from '@postern/wire-mysql';
import type { MysqlSessionMasker, ResultPlan } from '../masking.js';

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

  mask(payload: Buffer, sequenceId: number): Buffer | null {
    const { plan, masker } = this;
    const cells = (this.cells = this.binary
      ? scanBinaryRow(payload, plan.types, this.cells)
      : scanTextRow(payload, plan.types.length, this.cells));
    let replacements: Map<number, Buffer | null> | null = null;
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
      (replacements ??= new Map()).set(i, replacement);
    }
    if (replacements === null) return null;
    return this.binary
      ? rewriteBinaryRow(payload, cells, plan.types, replacements as Map<number, BinaryValue>, sequenceId)
      : rewriteTextRow(payload, cells, replacements as Map<number, TextCellReplacement>, sequenceId);
  }
}
