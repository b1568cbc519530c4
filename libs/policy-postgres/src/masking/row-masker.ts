import type { RowMasker } from './contract.js';
import { MaskingError } from '@postern/policy';
import { readInt32, Splice, writeInt32 } from './splice.js';
import type { ValuePlan } from './value-plans.js';

const DATA_ROW = 0x44; // 'D'
const HEADER = 7; // type byte, int32 length, int16 column count

/**
 * Masks DataRow messages of one result. Columns without a plan are skipped by their length and
 * never decoded; a changed row is rebuilt in one allocation.
 */
export class DataRowMasker implements RowMasker {
  private readonly splice = new Splice();

  /** `plans[i]` null: column i is forwarded as is. */
  constructor(private readonly plans: readonly (ValuePlan | null)[]) {}

  maskDataRow(frame: Buffer): Buffer {
    const splice = this.splice;
    splice.reset();
    try {
      this.collect(frame);
      if (splice.size === 0) return frame;
      const out = splice.build(frame, 0, frame.length, 0);
      writeInt32(out, 1, out.length - 1);
      return out;
    } catch (error) {
      throw asMaskingError(error);
    }
  }

  /** Walks the frame, validating every length, and records the masked values in the splice. */
  private collect(frame: Buffer): void {
    const size = frame.length;
    if (size < HEADER || frame[0] !== DATA_ROW) throw new MaskingError('not a DataRow message');
    if (readInt32(frame, 1) !== size - 1) throw new MaskingError('DataRow length does not match its frame');
    const plans = this.plans;
    const columns = (frame[5]! << 8) | frame[6]!;
    if (columns !== plans.length) {
      throw new MaskingError(`DataRow has ${columns} columns, its description ${plans.length}`);
    }
    let at = HEADER;
    for (let i = 0; i < columns; i++) {
      if (at + 4 > size) throw new MaskingError('DataRow ends inside a column length');
      const length = readInt32(frame, at);
      at += 4;
      if (length === -1) continue;
      if (length < 0 || length > size - at) throw new MaskingError('DataRow column length overruns the frame');
      const plan = plans[i];
      if (plan !== null && plan !== undefined) {
        const masked = plan.mask(frame, at, at + length);
        if (masked !== undefined) this.splice.replaceValue(at - 4, at + length, masked);
      }
      at += length;
    }
    if (at !== size) throw new MaskingError('DataRow has bytes after its last column');
  }
}

/** Whatever went wrong while masking a server's frame, the agent sees one error type. */
export function asMaskingError(error: unknown): MaskingError {
  if (error instanceof MaskingError) return error;
  return new MaskingError(`masking failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
