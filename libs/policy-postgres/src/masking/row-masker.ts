import { MaskingError } from '@postern/policy';
import { BackendCode, MessageLayoutError, sealMessage, walkDataRow } from '@postern/wire-postgres';
import type { RowMasker } from './contract.js';
import { Splice } from './splice.js';
import type { ValuePlan } from './value-plans.js';

/**
 * Masks DataRow messages of one result. Columns without a plan are skipped by their length and
 * never decoded; a changed row is rebuilt in one allocation. The row's layout is
 * @postern/wire-postgres's (walkDataRow validates every length; sealMessage writes the header).
 */
export class DataRowMasker implements RowMasker {
  private readonly splice = new Splice();
  private frame: Buffer = Buffer.alloc(0);
  /** Bound once: walkDataRow calls it for each non-NULL value, no closure per row. */
  private readonly visit = (column: number, start: number, end: number): void => {
    const plan = this.plans[column];
    if (plan === null || plan === undefined) return;
    const masked = plan.mask(this.frame, start, end);
    if (masked !== undefined) this.splice.replaceValue(start - 4, end, masked);
  };

  /** `plans[i]` null: column i is forwarded as is. */
  constructor(private readonly plans: readonly (ValuePlan | null)[]) {}

  maskDataRow(frame: Buffer): Buffer {
    const splice = this.splice;
    splice.reset();
    this.frame = frame;
    try {
      walkDataRow(frame, this.plans.length, this.visit);
      if (splice.size === 0) return frame;
      return sealMessage(splice.build(frame, 0, frame.length, 0), BackendCode.DataRow);
    } catch (error) {
      throw asMaskingError(error);
    } finally {
      this.frame = EMPTY;
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Whatever went wrong while masking a server's frame, the agent sees one error type. */
export function asMaskingError(error: unknown): MaskingError {
  if (error instanceof MaskingError) return error;
  // The server's bytes do not have the layout they claim: say what, as the layout check did.
  if (error instanceof MessageLayoutError) return new MaskingError(error.message, { cause: error });
  return new MaskingError(`masking failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
